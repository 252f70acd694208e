import fc from "fast-check";

// Mutation runs judge each mutant by the tests' verdict: property tests draw the same cases
// every run, so a mutant is not killed by one draw and missed by the next.
fc.configureGlobal({ seed: 20_260_101 });

import { describe, expect, it } from "vitest";
import { flow, problemsOf } from "../helpers/graphs.js";

/** The problems' messages with their pointers, the way `sluice validate` locates them. */
async function located(yaml: string): Promise<string[]> {
  return (await problemsOf(yaml)).map((p) => `${p.pointer} ${p.message}`);
}

describe("the compiler rejects", () => {
  it("an after that names an unknown step", async () => {
    expect(await located(flow(`a: {handler: ./steps.mjs#inc, after: [ghost]}`))).toEqual([
      '/spec/steps/a/after/0 unknown step "ghost" in after (known: a)',
    ]);
  });

  it("an on_error that names an unknown handler, or a step that is not an error handler", async () => {
    const problems = await located(
      flow(
        `
        a: {handler: ./steps.mjs#inc, on_error: ghost}
        b: {handler: ./steps.mjs#inc, after: [a], on_error: a}
        `,
        "on_error: nope",
      ),
    );
    expect(problems).toEqual([
      '/spec/steps/a/on_error unknown error handler "ghost"',
      '/spec/steps/b/on_error "a" is not a step of kind error',
      '/spec/on_error unknown error handler "nope"',
    ]);
  });

  it("a responder that names an unknown step", async () => {
    expect(await located(flow(`a: {handler: ./steps.mjs#inc}`, "responder: ghost"))).toEqual([
      '/spec/responder unknown step "ghost" as responder (known: a)',
    ]);
  });

  it("a cycle, naming its steps in order", async () => {
    const problems = await located(
      flow(`
        a: {handler: ./steps.mjs#inc, after: [c]}
        b: {handler: ./steps.mjs#inc, after: [a]}
        c: {handler: ./steps.mjs#inc, after: [b]}
      `),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/spec\/steps\/\w\/after cycle: (\w) → \w → \w → \1$/);
    expect(problems[0]).toContain("a → b → c");
  });

  it("two responders", async () => {
    const problems = await located(
      flow(
        `
        a: {handler: ./steps.mjs#inc, responder: true}
        b: {handler: ./steps.mjs#inc, after: [a]}
        `,
        "responder: b",
      ),
    );
    expect(problems).toEqual(["/spec/responder two responders: b and a; a graph answers once"]);
  });

  it("several terminal steps and no responder on an HTTP graph", async () => {
    const problems = await located(
      flow(`
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#inc, after: [a]}
        c: {handler: ./steps.mjs#inc, after: [a]}
      `),
    );
    expect(problems).toEqual([
      "/spec/responder several terminal steps (b, c) and no responder; set spec.responder to the step that answers HTTP callers",
    ]);
  });

  it("but accepts several terminals on a stream-only graph", async () => {
    const problems = await located(
      flow(
        `
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#inc, after: [a]}
        c: {handler: ./steps.mjs#inc, after: [a]}
        `,
        "triggers: [{kind: kafka, brokers: ['127.0.0.1:9092'], topics: [t], group: g}]",
      ),
    );
    expect(problems).toEqual([]);
  });

  it("a route without a class or handler", async () => {
    const problems = await problemsOf(
      flow(`
        r:
          kind: router
          routes:
            empty: {kind: model}
      `),
    );
    expect(problems.map((p) => p.pointer)).toContain("/spec/steps/r/routes/empty");
    expect(problems.map((p) => p.step)).toContain("r/empty");
  });

  it("a split router whose weights do not sum to 100", async () => {
    const problems = await located(
      flow(`
        r:
          kind: router
          type: split
          routes:
            a: {handler: builtin:echo, weight: 60}
            b: {handler: builtin:echo, weight: 30}
      `),
    );
    expect(problems).toEqual(["/spec/steps/r/routes split weights sum to 90, not 100"]);
  });

  it("a switch condition that does not parse", async () => {
    const problems = await located(
      flow(`
        r:
          kind: router
          type: switch
          routes:
            a: {handler: builtin:echo, when: "body.amount >>> 3"}
      `),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/spec\/steps\/r\/routes\/a\/when .*body\.amount >>> 3/);
  });

  it("a step module that does not exist, naming the file it looked for", async () => {
    const problems = await located(flow(`a: {handler: ./missing.mjs#inc}`));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^\/spec\/steps\/a\/handler module \.\/missing\.mjs not found \(looked for .*missing\.mjs\)$/,
    );
  });

  it("an export that does not exist, listing the ones that do", async () => {
    const problems = await located(flow(`a: {handler: ./typed.ts#nope}`));
    expect(problems).toEqual([
      '/spec/steps/a/handler module ./typed.ts has no export "nope" (it exports: total)',
    ]);
  });

  it("a handler that is not a function and a class without do()", async () => {
    const problems = await located(
      flow(`
        a: {handler: ./steps.mjs#notAFunction}
        b: {class: ./steps.mjs#NoDo, after: [a]}
      `),
    );
    expect(problems).toEqual([
      "/spec/steps/a/handler ./steps.mjs#notAFunction is not a function",
      "/spec/steps/b/class ./steps.mjs#NoDo has no do(body, ctx) method",
    ]);
  });

  it("paths that reach __proto__, constructor or prototype", async () => {
    for (const unsafe of ["__proto__.polluted", "a.constructor", "x.prototype.y"]) {
      const problems = await problemsOf(flow(`a: {handler: ./steps.mjs#identity, result_path: "${unsafe}"}`));
      expect(problems.map((p) => p.pointer)).toEqual(["/spec/steps/a/result_path"]);
    }
    const problems = await problemsOf(flow(`a: {handler: ./steps.mjs#identity, input_path: "__proto__"}`));
    expect(problems.map((p) => p.pointer)).toEqual(["/spec/steps/a/input_path"]);
  });

  it("a join across a queue step", async () => {
    const problems = await located(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q, a]}
      `),
    );
    expect(problems).toContain(
      "/spec/steps/b/after a step cannot join branches from both sides of a queue step",
    );
  });

  it("bad args of a built-in step, pointing at the arg", async () => {
    const problems = await problemsOf(flow(`f: {handler: builtin:filter, args: {expr: "1 +"}}`));
    expect(problems.map((p) => p.pointer)).toEqual(["/spec/steps/f/args/expr"]);
  });

  it("an unknown built-in step, listing the built-ins", async () => {
    const problems = await located(flow(`f: {handler: builtin:nope}`));
    expect(problems).toEqual([
      '/spec/steps/f/handler unknown built-in step "nope" (built-ins: echo, set, map, filter, log)',
    ]);
  });

  it("every problem at once, each with its YAML line", async () => {
    const problems = await problemsOf(
      flow(`
        a: {handler: ./steps.mjs#inc, after: [ghost]}
        b: {handler: ./missing.mjs#x, after: [a]}
      `),
    );
    expect(problems.map((p) => [p.step, p.line])).toEqual([
      ["a", 6],
      ["b", 7],
    ]);
  });
});

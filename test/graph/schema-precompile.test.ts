import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readGraphText } from "../../src/graph/loader.js";
import { compileGraphValidator, graphSchemaHash } from "../../src/graph/schema.js";
import { precompiledValidatorCode } from "../../src/graph/schema-precompile.js";

/** Loads the generated CommonJS module as `npm run build` would have written it. */
function loadPrecompiled(): ValidateFunction & { schemaHash?: string } {
  const module = { exports: {} as ValidateFunction & { schemaHash?: string } };
  const run = new Function("module", "exports", "require", precompiledValidatorCode());
  run(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}

const repo = join(import.meta.dirname, "..", "..");
const files = [
  "examples/inference/graph.yaml",
  "examples/enrichment/graph.yaml",
  "examples/error-handling/graph.yaml",
  "test/fixtures/gateway/flow.yaml",
  "test/fixtures/gateway/models.yaml",
];

/** Most of what a document can hold, so that mutations reach every part of the schema. */
const everything = `
apiVersion: sluice/v1
kind: Graph
metadata: {name: everything, labels: {team: risk}}
spec:
  topology: flow
  steps:
    parse: {handler: ./steps.mjs#parse, timeout: 250ms, on_error: oops}
    keep: {handler: builtin:filter, args: {expr: "body.amount > 1"}, after: [parse]}
    route:
      kind: router
      type: switch
      after: [keep]
      default: small
      routes:
        big: {kind: remote, url: "http://scorer:8080/score", when: "body.amount > 100", retries: 2,
              backoff: {initial: 10ms, max: 1s}, breaker: {errorThresholdPercentage: 50, resetTimeout: 5s},
              target: {maxConcurrency: 4, maxQueue: 8}}
        small: {kind: model, class: ./models.mjs#Small, args: {threshold: 0.7}}
    vote: {kind: router, type: ensemble, vote: regression, weights: {a: 2}, after: [route],
           routes: {a: {class: ./m.mjs#A}, b: {handler: ./m.mjs#b}}}
    audit: {kind: queue, stream: kafka://audit, after: [vote]}
    nuclio: {handler: ./steps.mjs#n, placement: nuclio, nuclio: {url: "http://n:8080/"}, after: [audit],
             fallback: {value: {ok: false}}}
    oops: {kind: error, handler: ./steps.mjs#oops}
  responder: nuclio
  triggers:
    - {kind: http}
    - {kind: kafka, brokers: ["localhost:9092"], topics: [tx], group: g, output: {topic: out},
       dlq: {topic: dead, maxAttempts: 3}}
    - {kind: nats, url: "nats://localhost:4222", subject: tx.in, jetstream: {stream: TX, durable: d}}
    - {kind: cron, interval: 5s, event: {body: {tick: true}}}
`;

const documents: unknown[] = [
  ...files.map((file) => readGraphText(readFileSync(join(repo, file), "utf8"), file).raw),
  readGraphText(everything, "everything.yaml").raw,
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a document a mutation can touch: [parent, key] pairs. */
function places(value: Json, out: [Json[] | Record<string, Json>, string | number][] = []) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([value, i]);
      places(item, out);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push([value, key]);
      places(item, out);
    }
  }
  return out;
}

const mutation = fc.record({
  at: fc.nat(),
  how: fc.constantFrom("delete", "replace", "unknown key"),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("remote", "router", "switch", "kafka", "nats", "2s", "-1", "builtin:map", ""),
  ),
});

function mutate(document: unknown, changes: { at: number; how: string; value: unknown }[]) {
  const copy = structuredClone(document) as Json;
  for (const { at, how, value } of changes) {
    const all = places(copy);
    const [parent, key] = all[at % all.length] as (typeof all)[number];
    const target = parent as Record<string | number, Json>;
    if (how === "delete" && !Array.isArray(parent)) delete target[key];
    else if (how === "unknown key" && typeof target[key] === "object" && target[key] !== null)
      (target[key] as Record<string, Json>).zz_unknown = value as Json;
    else target[key] = value as Json;
  }
  return copy;
}

describe("the validator precompiled at build time", () => {
  const precompiled = loadPrecompiled();
  const compiled = compileGraphValidator();

  it("carries the hash of the schema it was made from", () => {
    expect(precompiled.schemaHash).toBe(graphSchemaHash);
  });

  it("accepts the valid documents", () => {
    for (const document of documents) {
      expect(compiled(document), compiled.errors?.[0]?.instancePath).toBe(true);
      expect(precompiled(document)).toBe(true);
    }
  });

  it("reports exactly the errors of the validator compiled at run time", () => {
    let invalid = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: documents.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (which, changes) => {
          const document = mutate(documents[which], changes);
          const valid = compiled(document);
          if (!valid) invalid++;
          expect(precompiled(document)).toBe(valid);
          expect(precompiled.errors ?? null).toEqual(compiled.errors ?? null);
        },
      ),
      { numRuns: 400 },
    );
    // Most mutations must break the document, or this compares little.
    expect(invalid).toBeGreaterThan(200);
  });
});

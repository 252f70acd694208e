import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  canonicalJson,
  FunctionObject,
  functionHash,
  functionKinds,
  hashedContent,
} from "../../src/runtimes/index.js";

// Documents as users write them: any kind, labels, and a spec of arbitrary JSON, deep enough
// to hold lists and maps in maps.
const key = fc.string({ minLength: 1, maxLength: 12 });
const documents = fc.record({
  kind: fc.constantFrom(...functionKinds),
  metadata: fc.record(
    {
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
      project: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
      labels: fc.dictionary(key, fc.string({ maxLength: 10 }), { maxKeys: 4 }),
    },
    { requiredKeys: ["name"] },
  ),
  spec: fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
});

/** The same value with every object's keys in another order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const order = entries.map((e, i) => ({ e, k: Math.sin(seed * 31 + i * 17) })).sort((a, b) => a.k - b.k);
  const out: Record<string, unknown> = {};
  for (const { e } of order)
    Object.defineProperty(out, e[0], { value: shuffled(e[1], seed + 1), enumerable: true });
  return out;
}

describe("the content hash", () => {
  it("is the same whatever the key order", () => {
    fc.assert(
      fc.property(documents, fc.integer(), (doc, seed) => {
        expect(functionHash(shuffled(doc, seed) as object)).toBe(functionHash(doc));
      }),
    );
  });

  it("ignores tag, hash, status and timestamps", () => {
    fc.assert(
      fc.property(documents, fc.string(), fc.jsonValue(), (doc, text, status) => {
        const dressed = {
          ...doc,
          metadata: { ...doc.metadata, tag: text, hash: text, updated: text, created: text },
          status: { state: status },
        };
        expect(functionHash(dressed)).toBe(functionHash(doc));
      }),
    );
  });

  it("changes with any change to the content", () => {
    fc.assert(
      fc.property(documents, key, fc.jsonValue(), (doc, field, value) => {
        fc.pre(canonicalJson(doc.spec[field]) !== canonicalJson(value) && value !== undefined);
        const changed = { ...doc, spec: { ...doc.spec, [field]: value } };
        expect(functionHash(changed)).not.toBe(functionHash(doc));
      }),
    );
  });

  it("changes with the name, the project, a label or the kind", () => {
    fc.assert(
      fc.property(documents, (doc) => {
        const base = functionHash(doc);
        expect(
          functionHash({ ...doc, metadata: { ...doc.metadata, name: `${doc.metadata.name}x` } }),
        ).not.toBe(base);
        expect(functionHash({ ...doc, metadata: { ...doc.metadata, project: "another-project" } })).not.toBe(
          base,
        );
        const labels = { ...doc.metadata.labels, "added-label": "yes" };
        expect(functionHash({ ...doc, metadata: { ...doc.metadata, labels } })).not.toBe(base);
        expect(functionHash({ ...doc, kind: doc.kind === "job" ? "dask" : "job" })).not.toBe(base);
      }),
    );
  });

  it("survives a round trip through YAML and through JSON", () => {
    fc.assert(
      fc.property(documents, (doc) => {
        expect(functionHash(parse(stringify(doc)) as object)).toBe(functionHash(doc));
        expect(functionHash(JSON.parse(JSON.stringify(doc, null, 3)) as object)).toBe(functionHash(doc));
      }),
    );
  });

  it("is the same across runs and machines (a fixed document has a fixed hash)", () => {
    const fn = FunctionObject.create("job", "trainer", { image: "node:20", args: ["--epochs", "3"] });
    fn.withLimits("2Gi", "1").setEnv("MODE", "batch");
    // Pinned: a change here would orphan every stored version, so it must be deliberate.
    expect(fn.hash).toBe("f9361f0ef9f131dddfe3eda98a8ba4baa92b917e");
    // `printf '%s' <this text> | sha1sum` gives the same: the hash is SHA-1 of canonical JSON.
    expect(canonicalJson(fn.content())).toBe(
      '{"kind":"job","metadata":{"name":"trainer"},"spec":{"args":["--epochs","3"],"env":[{"name":"MODE","value":"batch"}],"image":"node:20","resources":{"limits":{"cpu":"1","memory":"2Gi"}}}}',
    );
  });

  it("sorts keys by UTF-16 code unit, never by locale (a pinned vector)", () => {
    // Keys whose code-unit order and collation order differ: case (B < a, but a < B in a
    // locale), "_" between the cases, accents (f < é), and a surrogate pair (😀, 0xD83D)
    // before U+FF5E although its code point is larger.
    const doc = {
      kind: "job",
      metadata: {
        name: "collation",
        labels: { b: "1", B: "2", _: "3", a: "4", Z: "5", é: "6", f: "7", "～": "8", "😀": "9" },
      },
      spec: { image: "x" },
    };
    expect(canonicalJson(doc)).toBe(
      '{"kind":"job","metadata":{"labels":{"B":"2","Z":"5","_":"3","a":"4","b":"1","f":"7","é":"6","😀":"9","～":"8"},"name":"collation"},"spec":{"image":"x"}}',
    );
    // SHA-1 of that text's UTF-8 bytes, computed outside sluice (Python's hashlib).
    expect(functionHash(doc)).toBe("5bace477daf9d95065bc8718af4b38f62c8c7745");
  });

  it("is SHA-1 hex, and the same as a FunctionObject's", () => {
    fc.assert(
      fc.property(documents, (doc) => {
        const hash = functionHash(doc);
        expect(hash).toMatch(/^[0-9a-f]{40}$/);
        expect(new FunctionObject(doc as never).hash).toBe(hash);
      }),
    );
  });

  it("writes a __proto__ key as data, never as a prototype", () => {
    const doc = JSON.parse('{"kind":"job","metadata":{"name":"a"},"spec":{"__proto__":{"x":1}}}') as object;
    expect(canonicalJson(doc)).toBe('{"kind":"job","metadata":{"name":"a"},"spec":{"__proto__":{"x":1}}}');
    expect(functionHash(doc)).not.toBe(functionHash({ kind: "job", metadata: { name: "a" }, spec: {} }));
  });
});

describe("canonical JSON", () => {
  it("holds what JSON.stringify writes, for any value (keys sorted: see the pinned vectors)", () => {
    const values = fc.anything({
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(values, (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value) ?? "null"));
      }),
      { numRuns: 500 },
    );
  });

  it("leaves out of objects, and writes as null in arrays, what JSON cannot hold", () => {
    const value = {
      a: undefined,
      b: () => 1,
      c: Symbol("c"),
      d: [undefined, () => 1, Symbol("d"), Number.NaN],
      e: 1,
    };
    expect(canonicalJson(value)).toBe('{"d":[null,null,null,null],"e":1}');
    expect(canonicalJson(undefined)).toBe("null");
    const holes: unknown[] = [1];
    holes[2] = 3;
    expect(canonicalJson(holes)).toBe("[1,null,3]"); // a hole, as JSON.stringify writes it
  });

  it("writes a value's toJSON (a Date as its ISO string)", () => {
    expect(canonicalJson({ at: new Date(0), money: { toJSON: () => ({ eur: 5, cents: 0 }) } })).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","money":{"cents":0,"eur":5}}',
    );
  });

  it("refuses BigInt and cycles with a TypeError naming them; a value shared twice is fine", () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(new TypeError("canonicalJson: BigInt has no JSON form"));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(new TypeError("canonicalJson: the value is cyclic"));
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });

  it("hashes everything but status and the metadata that names a version; metadata as written otherwise", () => {
    const doc = JSON.parse(
      '{"kind":"job","status":{"state":"ready"},"__proto__":{"x":1},"metadata":{"name":"a","tag":"v1","hash":"h","updated":"u","created":"c","labels":{"tag":"kept"}}}',
    ) as Record<string, unknown>;
    const content = hashedContent(doc);
    expect(canonicalJson(content)).toBe(
      '{"__proto__":{"x":1},"kind":"job","metadata":{"labels":{"tag":"kept"},"name":"a"}}',
    );
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
    expect(hashedContent({ kind: "job", metadata: "not an object" })).toEqual({
      kind: "job",
      metadata: "not an object",
    });
    expect(hashedContent({ kind: "job", metadata: null })).toEqual({ kind: "job", metadata: null });
  });

  it("hashed content is a plain object whose fields, __proto__ included, can be changed and removed", () => {
    const content = hashedContent(JSON.parse('{"kind":"job","__proto__":{"x":1},"spec":{"image":"a"}}'));
    content.kind = "serving";
    // As data: the key is the object's own field, not its prototype.
    expect(Reflect.set(content, "__proto__", { x: 2 })).toBe(true);
    delete content.spec;
    expect(canonicalJson(content)).toBe('{"__proto__":{"x":2},"kind":"serving"}');
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getPath, PathError, parsePath, setPath } from "../../src/graph/paths.js";

const UNSAFE = ["__proto__", "constructor", "prototype"];

// Safe segments: short names that never collide with the unsafe ones.
const segment = fc
  .string({ minLength: 1, maxLength: 6 })
  .filter((s) => !s.includes(".") && !UNSAFE.includes(s));
const segments = fc.array(segment, { minLength: 1, maxLength: 5 });
const json = fc.jsonValue({ maxDepth: 3 });

describe("parsePath", () => {
  it("splits a dotted path into segments", () => {
    expect(parsePath("user")).toEqual(["user"]);
    expect(parsePath("user.address.city")).toEqual(["user", "address", "city"]);
  });

  it("rejects empty paths and empty segments", () => {
    for (const path of ["", ".", "a.", ".a", "a..b"]) expect(() => parsePath(path)).toThrow(PathError);
  });

  it("rejects paths that would reach __proto__, constructor or prototype", () => {
    expect(() => parsePath("a.__proto__.polluted")).toThrow(
      'path "a.__proto__.polluted" must not use "__proto__"',
    );
    expect(() => parsePath("constructor")).toThrow(PathError);
    expect(() => parsePath("x.prototype")).toThrow(PathError);
  });

  it("always rejects an unsafe segment, wherever it is (property)", () => {
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom(...UNSAFE),
        fc.nat(4),
        (safe, bad, at) => {
          const parts = [...safe];
          parts.splice(Math.min(at, parts.length), 0, bad);
          expect(() => parsePath(parts.join("."))).toThrow(PathError);
        },
      ),
    );
  });

  it("round-trips any safe path (property)", () => {
    fc.assert(
      fc.property(segments, (parts) => {
        expect(parsePath(parts.join("."))).toEqual(parts);
      }),
    );
  });
});

describe("getPath", () => {
  it("reads nested fields and array elements", () => {
    const body = { user: { tags: ["a", "b"] } };
    expect(getPath(body, ["user", "tags", "1"])).toBe("b");
    expect(getPath(body, [])).toBe(body);
  });

  it("gives undefined for a missing field or a walk through a non-object", () => {
    expect(getPath({ a: 1 }, ["b"])).toBeUndefined();
    expect(getPath({ a: 1 }, ["a", "b"])).toBeUndefined();
    expect(getPath(null, ["a"])).toBeUndefined();
  });

  it("never reads inherited properties", () => {
    expect(getPath({}, ["toString"])).toBeUndefined();
    expect(getPath({}, ["constructor"])).toBeUndefined();
  });
});

describe("setPath", () => {
  it("sets a nested field, creating missing objects, and copies only along the path", () => {
    const other = { keep: true };
    const body = { user: { name: "a" }, other };
    const out = setPath(body, ["user", "address", "city"], "Oslo") as Record<string, unknown>;
    expect(out).toEqual({ user: { name: "a", address: { city: "Oslo" } }, other: { keep: true } });
    expect(out.other).toBe(other);
    expect(body).toEqual({ user: { name: "a" }, other: { keep: true } });
  });

  it("replaces a null intermediate with an object", () => {
    expect(setPath({ a: null }, ["a", "b"], 1)).toEqual({ a: { b: 1 } });
  });

  it("sets and appends array elements by index, copying the array", () => {
    const body = { items: [{ n: 1 }, { n: 2 }] };
    expect(setPath(body, ["items", "1", "n"], 3)).toEqual({ items: [{ n: 1 }, { n: 3 }] });
    expect(setPath(body, ["items", "2"], { n: 9 })).toEqual({ items: [{ n: 1 }, { n: 2 }, { n: 9 }] });
    expect(body.items).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("refuses to write through a value that is not an object", () => {
    expect(() => setPath({ a: 5 }, ["a", "b"], 1)).toThrow('cannot set "a.b": "a" is not an object');
    expect(() => setPath("text", ["a"], 1)).toThrow('cannot set "a": the body is not an object');
    expect(() => setPath({ items: [] }, ["items", "x"], 1)).toThrow('"x" is not an index');
  });

  it("refuses unsafe segments even when handed segments directly", () => {
    expect(() => setPath({}, ["__proto__", "polluted"], true)).toThrow(PathError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("with no segments, returns the value itself", () => {
    expect(setPath({ a: 1 }, [], 7)).toBe(7);
  });

  it("never mutates its input (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(segment, json), segments, json, (obj, path, value) => {
        const before = structuredClone(obj);
        try {
          setPath(obj, path, value);
        } catch (error) {
          if (!(error instanceof PathError)) throw error;
        }
        expect(obj).toEqual(before);
      }),
    );
  });

  it("reads back what it wrote: getPath(setPath(o, p, v), p) === v (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(segment, json), segments, json, (obj, path, value) => {
        let out: unknown;
        try {
          out = setPath(obj, path, value);
        } catch (error) {
          if (error instanceof PathError) return; // the path ran into a string, number, ...
          throw error;
        }
        expect(getPath(out, path)).toBe(value);
      }),
    );
  });
});

describe("path errors", () => {
  /** The PathError `fn` throws. */
  const thrown = (fn: () => unknown): PathError => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(PathError);
      return error as PathError;
    }
    throw new Error("nothing was thrown");
  };

  it("say what is wrong with a path, name it, and are PathErrors by name", () => {
    expect(thrown(() => parsePath(""))).toMatchObject({
      name: "PathError",
      path: "",
      message: "a path must not be empty",
    });
    expect(thrown(() => parsePath(7 as unknown as string))).toMatchObject({
      path: "7",
      message: "a path must not be empty",
    });
    expect(thrown(() => parsePath("a..b"))).toMatchObject({
      path: "a..b",
      message: 'path "a..b" has an empty segment',
    });
    expect(thrown(() => setPath({}, ["a", "constructor"], 1))).toMatchObject({
      path: "a.constructor",
      message: 'path must not use "constructor"',
    });
    expect(thrown(() => setPath({ items: [] }, ["items", "x"], 1))).toMatchObject({
      path: "items.x",
      message: 'cannot set "items.x": "x" is not an index',
    });
    expect(thrown(() => setPath({ a: { b: 5 } }, ["a", "b", "c"], 1))).toMatchObject({
      path: "a.b.c",
      message: 'cannot set "a.b.c": "a.b" is not an object',
    });
  });

  it("take only whole decimal indexes up to the array's length", () => {
    const list = { items: ["a", "b"] };
    for (const bad of ["01", "1a", "a1", "-1", "1.5", " 1", "3"]) {
      expect(() => setPath(list, ["items", bad], "x")).toThrow(`"${bad}" is not an index`);
    }
    expect(setPath(list, ["items", "0"], "x")).toEqual({ items: ["x", "b"] });
    expect(setPath(list, ["items", "2"], "c")).toEqual({ items: ["a", "b", "c"] });
    expect(setPath({ items: [] }, ["items", "0", "n"], 1)).toEqual({ items: [{ n: 1 }] });
    const eleven = Array.from({ length: 11 }, (_, i) => i);
    expect((setPath(eleven, ["10"], "ten") as unknown[])[10]).toBe("ten");
    expect(setPath({ items: [null] }, ["items", "0", "n"], 1)).toEqual({ items: [{ n: 1 }] });
  });

  it("never read a property of a value that is not an object", () => {
    expect(getPath({ a: "text" }, ["a", "length"])).toBeUndefined();
    expect(getPath({ a: 5 }, ["a", "toFixed"])).toBeUndefined();
  });
});

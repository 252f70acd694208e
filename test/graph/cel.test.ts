import { beforeAll, describe, expect, it } from "vitest";
import { CelEvalError, CelSyntaxError, celTruthy, compileCel, loadCel } from "../../src/graph/cel.js";

// The graph loader does this for documents with CEL; these tests call compileCel directly.
beforeAll(loadCel);

const run = (
  source: string,
  body: unknown = {},
  headers: Record<string, string | undefined> = {},
  path = "",
) => compileCel(source)({ body, headers, path });

function evalError(source: string, body: unknown = {}): CelEvalError {
  try {
    run(source, body);
  } catch (error) {
    if (error instanceof CelEvalError) return error;
    throw error;
  }
  throw new Error(`${source} did not fail`);
}

function syntaxError(source: string): CelSyntaxError {
  try {
    compileCel(source);
  } catch (error) {
    if (error instanceof CelSyntaxError) return error;
    throw error;
  }
  throw new Error(`${source} compiled`);
}

describe("compileCel: numbers from JSON", () => {
  it("compares a JSON number with an int literal (body.amount > 100)", () => {
    expect(run("body.amount > 100", { amount: 150 })).toBe(true);
    expect(run("body.amount > 100", { amount: 100 })).toBe(false);
    expect(run("body.amount == 150", { amount: 150 })).toBe(true);
    expect(run("body.amount in [1, 150]", { amount: 150 })).toBe(true);
  });

  it("compares with a double literal too", () => {
    expect(
      run('body.amount > 100.0 && headers["x-tier"] == "gold"', { amount: 150 }, { "x-tier": "gold" }),
    ).toBe(true);
  });

  it("does arithmetic mixing JSON numbers and int literals, giving a number", () => {
    expect(run("body.amount * 2 + 1", { amount: 1.5 })).toBe(4);
    expect(run("body.amount / 2", { amount: 3 })).toBe(1.5);
    expect(run("10 - body.amount", { amount: 3 })).toBe(7);
  });

  it("returns CEL ints and uints as JSON numbers", () => {
    expect(run("size(body.items)", { items: [1, 2, 3] })).toBe(3);
    expect(run("7u")).toBe(7);
  });

  it("fails rather than losing precision on an int too large for JSON", () => {
    expect(evalError("9007199254740993").reason).toBe("integer 9007199254740993 is too large for JSON");
  });
});

describe("compileCel: reading the event", () => {
  it("reads nested fields, lists and headers", () => {
    const body = { user: { tier: "gold", tags: ["a", "b"] }, items: [{ price: 2 }, { price: 3 }] };
    expect(run("body.user.tier", body)).toBe("gold");
    expect(run("body.user.tags[1]", body)).toBe("b");
    expect(run("body.items.map(i, i.price * 2)", body)).toEqual([4, 6]);
    expect(run("body.items.exists(i, i.price > 2)", body)).toBe(true);
    expect(run("headers.host", {}, { host: "example.com" })).toBe("example.com");
    expect(run('path.startsWith("/v2/")', {}, {}, "/v2/models/x/infer")).toBe(true);
  });

  it("fails a missing field with `no such key: x`", () => {
    const error = evalError("body.x > 1", { amount: 1 });
    expect(error.reason).toBe("no such key: x");
    expect(error.message).toBe('CEL "body.x > 1" failed at column 5: no such key: x');
    expect(error.code).toBe("SLUICE_ERR_STEP_FAILED");
  });

  it("tests presence with has()", () => {
    expect(run("has(body.x)", { amount: 1 })).toBe(false);
    expect(run("has(body.amount)", { amount: 1 })).toBe(true);
    expect(run("has(body.user.id) ? body.user.id : 0", { user: {} })).toBe(0);
  });

  it("treats undefined header values as absent", () => {
    expect(run('"x-tier" in headers', {}, { "x-tier": undefined })).toBe(false);
    expect(run("size(headers)", {}, { a: "1", b: undefined })).toBe(1);
  });

  it("reads JSON keys named like Object.prototype members as plain data", () => {
    const body = JSON.parse('{"constructor": 1, "__proto__": {"x": 2}}');
    expect(run("body.constructor + 1", body)).toBe(2);
    expect(run("body.__proto__.x", body)).toBe(2);
    expect(run("has(body.toString)", {})).toBe(false);
  });

  it("sees a missing body as null", () => {
    expect(compileCel("body == null")({ body: undefined, headers: {}, path: "" })).toBe(true);
  });

  it("lets comprehension variables shadow nothing they should not", () => {
    expect(run("body.all(k, k != 'body')", { a: 1, b: 2 })).toBe(true);
    expect(run("[1, 2].map(body, body * 2)", { a: 1 })).toEqual([2, 4]);
  });

  it("has the strings extension (lowerAscii, split, ...)", () => {
    expect(run('headers["x-tier"].lowerAscii() == "gold"', {}, { "x-tier": "GOLD" })).toBe(true);
    expect(run('"a,b".split(",")')).toEqual(["a", "b"]);
  });
});

describe("compileCel: results as plain JSON", () => {
  it("turns maps into objects and lists into arrays", () => {
    expect(run("{'a': [1, 2.5, 'x'], 'b': {'c': true}, 'n': null}")).toEqual({
      a: [1, 2.5, "x"],
      b: { c: true },
      n: null,
    });
    expect(run("body", { a: { b: [1] } })).toEqual({ a: { b: [1] } });
  });

  it("keeps a result key named __proto__ as data", () => {
    const out = run("{'__proto__': 1}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
  });

  it("gives bytes, types, timestamps and durations their JSON forms", () => {
    expect(run("b'hi'")).toBe("aGk=");
    expect(run("type(1)")).toBe("int");
    expect(run("timestamp('2020-01-01T00:00:00.5Z')")).toBe("2020-01-01T00:00:00.500Z");
    expect(run("duration('1.5s')")).toBe("1.5s");
  });
});

describe("compileCel: errors", () => {
  it("rejects a syntax error at compile time, quoting the expression and the position", () => {
    const error = syntaxError("body.amount >");
    expect(error.message).toMatch(/^invalid CEL "body.amount >": .* at column 13$/);
    expect(error.message).not.toContain("\n");
    expect(error.code).toBe("SLUICE_ERR_GRAPH_INVALID");
  });

  it("rejects an unknown variable at compile time", () => {
    expect(syntaxError("amount > 1").message).toBe(
      'invalid CEL "amount > 1": unknown variable "amount" (known: body, headers, path) at column 1',
    );
  });

  it("gives the line and column in a multi-line expression, on one line", () => {
    const error = syntaxError("body.a > 1 &&\n  tier == 'x'");
    expect(error.message).toBe(
      'invalid CEL "body.a > 1 && tier == \'x\'": unknown variable "tier" (known: body, headers, path) at line 2, column 3',
    );
  });

  it("counts columns in characters, not UTF-16 units", () => {
    expect(syntaxError("'😀' + nope").message).toMatch(/at column 7$/);
  });

  it("rejects unknown functions and misused macros at compile time", () => {
    expect(syntaxError("nope(body)").reason).toBe('unknown function "nope" at column 1');
    expect(syntaxError("has(1)").reason).toBe("wrong arguments to the has() macro at column 1");
  });

  it("reports a type mismatch at evaluation with the expression", () => {
    const error = evalError("body.name + 1", { name: "x" });
    expect(error.message).toMatch(/^CEL "body.name \+ 1" failed at column 11: found no matching overload/);
  });
});

describe("celTruthy", () => {
  it("counts only true as true", () => {
    expect(celTruthy(true)).toBe(true);
    for (const value of [false, 1, "true", [], {}, null, undefined]) expect(celTruthy(value)).toBe(false);
  });
});

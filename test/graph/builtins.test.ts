import { beforeAll, describe, expect, it } from "vitest";
import { loadCel } from "../../src/graph/cel.js";
import { DROP, type StepClass, type StepContext } from "../../src/graph/contract.js";
import { StepArgsError } from "../../src/graph/problems.js";
import { builtins } from "../../src/graph/steps/index.js";

// The graph loader does this for documents with CEL; these tests construct the steps directly.
beforeAll(loadCel);

type LogCall = { level: string; obj: unknown; msg: string | undefined };

function context(): StepContext & { logs: LogCall[] } {
  const logs: LogCall[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => logs.push({ level, obj, msg });
  return {
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    graph: "g",
    step: "s",
    drop: DROP,
    logs,
  };
}

function step(name: string, args: Record<string, unknown> = {}) {
  const ctx = context();
  const Builtin = builtins[name] as StepClass;
  const instance = new Builtin(args, ctx);
  return { run: (input: unknown) => instance.do(input, ctx), ctx };
}

/** The field and message of the StepArgsError that constructing the step throws. */
function argsError(name: string, args: Record<string, unknown>): { field: string; message: string } {
  try {
    step(name, args);
  } catch (error) {
    if (error instanceof StepArgsError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error(`builtin:${name} accepted ${JSON.stringify(args)}`);
}

describe("builtins", () => {
  it("are exactly echo, set, map, filter and log", () => {
    expect(Object.keys(builtins).sort()).toEqual(["echo", "filter", "log", "map", "set"]);
    expect(Object.isFrozen(builtins)).toBe(true);
  });

  it("reject arguments they do not know, naming the field", () => {
    expect(argsError("echo", { x: 1 })).toEqual({
      field: "x",
      message: 'unknown argument "x" (builtin:echo takes no arguments)',
    });
    expect(argsError("filter", { exp: "true" }).field).toBe("exp");
  });
});

describe("builtin:echo", () => {
  it("returns its input unchanged (the same object)", () => {
    const body = { a: 1 };
    expect(step("echo").run(body)).toBe(body);
    expect(step("echo").run("text")).toBe("text");
  });
});

describe("builtin:set", () => {
  it("sets fixed fields at dotted paths without changing the input", () => {
    const body = { a: 0, b: { keep: true }, c: { d: 1 } };
    const out = step("set", { fields: { a: 1, "b.c": "x" } }).run(body);
    expect(out).toEqual({ a: 1, b: { keep: true, c: "x" }, c: { d: 1 } });
    expect(body).toEqual({ a: 0, b: { keep: true }, c: { d: 1 } });
    expect((out as typeof body).c).toBe(body.c); // untouched branches are shared, not copied
  });

  it("gives each event its own copy of an object value", () => {
    const set = step("set", { fields: { meta: { tags: [] } } });
    const first = set.run({}) as { meta: { tags: string[] } };
    first.meta.tags.push("changed");
    expect(set.run({})).toEqual({ meta: { tags: [] } });
  });

  it("fails on a body that is not an object", () => {
    const set = step("set", { fields: { a: 1 } });
    expect(() => set.run("text")).toThrow("builtin:set needs an object body, got a string");
    expect(() => set.run([1])).toThrow("got an array");
    expect(() => set.run(null)).toThrow("got null");
  });

  it("rejects missing or empty fields", () => {
    expect(argsError("set", {})).toEqual({ field: "fields", message: "fields must be a non-empty object" });
    expect(argsError("set", { fields: {} }).field).toBe("fields");
    expect(argsError("set", { fields: ["a"] }).field).toBe("fields");
  });

  it("rejects paths that reach __proto__, constructor or prototype", () => {
    expect(argsError("set", { fields: { "a.__proto__.x": 1 } })).toEqual({
      field: "fields",
      message: 'path "a.__proto__.x" must not use "__proto__"',
    });
    expect(argsError("set", { fields: { constructor: 1 } }).field).toBe("fields");
    expect(argsError("set", { fields: { "a..b": 1 } }).message).toBe('path "a..b" has an empty segment');
  });
});

describe("builtin:map", () => {
  it("with expr, returns the expression's value", () => {
    const map = step("map", { expr: "{'total': body.price * body.qty, 'big': body.qty > 10}" });
    expect(map.run({ price: 2.5, qty: 4 })).toEqual({ total: 10, big: false });
  });

  it("with fields, sets each dotted field from the input, on a copy", () => {
    const body = { price: 2.5, qty: 4, meta: { id: "x" } };
    const out = step("map", { fields: { total: "body.price * body.qty", "meta.big": "body.qty > 10" } }).run(
      body,
    );
    expect(out).toEqual({ price: 2.5, qty: 4, total: 10, meta: { id: "x", big: false } });
    expect(body).toEqual({ price: 2.5, qty: 4, meta: { id: "x" } });
  });

  it("evaluates every field against the step's input, not the fields set before it", () => {
    expect(step("map", { fields: { a: "1", b: "has(body.a)" } }).run({})).toEqual({ a: 1, b: false });
  });

  it("fails an event whose body lacks a field the expression reads", () => {
    expect(() => step("map", { expr: "body.x" }).run({})).toThrow("no such key: x");
  });

  it("with fields, fails on a body that is not an object", () => {
    expect(() => step("map", { fields: { a: "1" } }).run(3)).toThrow("needs an object body, got a number");
  });

  it("sees no headers and an empty path (a step gets only its input)", () => {
    expect(step("map", { expr: "size(headers) == 0 && path == ''" }).run({})).toBe(true);
  });

  it("rejects invalid CEL, pointing at the field", () => {
    const error = argsError("map", { expr: "body.x >" });
    expect(error.field).toBe("expr");
    expect(error.message).toMatch(/^invalid CEL "body.x >": .* at column 8$/);
    expect(argsError("map", { fields: { total: "price * 2" } })).toEqual({
      field: "fields",
      message:
        'fields.total: invalid CEL "price * 2": unknown variable "price" (known: body, headers, path) at column 1',
    });
  });

  it("rejects missing, both, or wrongly typed args", () => {
    expect(argsError("map", {})).toEqual({
      field: "expr",
      message: "builtin:map needs expr (a CEL expression) or fields",
    });
    expect(argsError("map", { expr: "1", fields: { a: "1" } }).field).toBe("fields");
    expect(argsError("map", { expr: 5 })).toEqual({
      field: "expr",
      message: "expr must be a CEL expression (a non-empty string)",
    });
    expect(argsError("map", { fields: { a: 1 } }).message).toBe(
      "fields.a must be a CEL expression (a non-empty string)",
    );
    expect(argsError("map", { fields: { "__proto__.x": "1" } }).field).toBe("fields");
  });
});

describe("builtin:filter", () => {
  it("passes the input on when the expression is true", () => {
    const body = { amount: 150 };
    expect(step("filter", { expr: "body.amount > 100" }).run(body)).toBe(body);
  });

  it("drops the event when the expression is false", () => {
    expect(step("filter", { expr: "body.amount > 100" }).run({ amount: 5 })).toBe(DROP);
  });

  it("drops the event when the expression is not a bool (only true passes)", () => {
    expect(step("filter", { expr: "body.tier" }).run({ tier: "gold" })).toBe(DROP);
    expect(step("filter", { expr: "1" }).run({})).toBe(DROP);
  });

  it("rejects a missing or invalid expr", () => {
    expect(argsError("filter", {})).toEqual({
      field: "expr",
      message: "expr must be a CEL expression (a non-empty string)",
    });
    expect(argsError("filter", { expr: "amount > 1" }).message).toMatch(/unknown variable "amount"/);
  });
});

describe("builtin:log", () => {
  it("logs the input at info and returns it unchanged", () => {
    const log = step("log");
    const body = { a: 1 };
    expect(log.run(body)).toBe(body);
    expect(log.ctx.logs).toEqual([{ level: "info", obj: { body }, msg: "event" }]);
  });

  it("logs only the listed dotted fields, at the chosen level, with the message", () => {
    const log = step("log", {
      level: "warn",
      message: "big order",
      fields: ["user.id", "amount", "missing.x"],
    });
    log.run({ user: { id: 7, secret: "s" }, amount: 150 });
    expect(log.ctx.logs).toEqual([
      {
        level: "warn",
        obj: { fields: { "user.id": 7, amount: 150, "missing.x": undefined } },
        msg: "big order",
      },
    ]);
  });

  it("rejects a wrong level, message or fields", () => {
    expect(argsError("log", { level: "trace" })).toEqual({
      field: "level",
      message: 'level must be one of debug, info, warn, error, not "trace"',
    });
    expect(argsError("log", { message: 5 })).toEqual({
      field: "message",
      message: "message must be a string",
    });
    expect(argsError("log", { fields: "a" }).field).toBe("fields");
    expect(argsError("log", { fields: [] }).field).toBe("fields");
    expect(argsError("log", { fields: [1] }).field).toBe("fields");
    expect(argsError("log", { fields: ["a.prototype"] }).message).toBe(
      'path "a.prototype" must not use "prototype"',
    );
  });
});

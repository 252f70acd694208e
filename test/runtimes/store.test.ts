import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SluiceError } from "../../src/errors.js";
import {
  exportFunctions,
  FunctionObject,
  FunctionStore,
  importFunctionList,
  storePath,
} from "../../src/runtimes/index.js";

let store: FunctionStore;
beforeEach(() => {
  store = FunctionStore.open(":memory:");
});
afterEach(() => store.close());

const trainer = (image = "node:20") =>
  FunctionObject.create("job", "trainer", { image, command: "./train.mjs" });

function failure(call: () => unknown): SluiceError {
  try {
    call();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("the function store", () => {
  it("keeps every version and points latest at the newest put", () => {
    const v1 = store.put(trainer("node:20"));
    const v2 = store.put(trainer("node:22"));
    expect(v1).toMatchObject({ name: "trainer", tag: "latest", created: true });
    expect(
      store
        .list()
        .map((v) => v.hash)
        .sort(),
    ).toEqual([v1.hash, v2.hash].sort());
    expect(store.resolve("trainer").hash).toBe(v2.hash);
    expect(store.get(`trainer@${v1.hash}`).fn.spec).toMatchObject({ image: "node:20" });
  });

  it("stores equal content once, whatever its tag or status", () => {
    const first = store.put(trainer());
    const again = trainer();
    again.status = { state: "ready" };
    expect(store.put(again, { tag: "v1" })).toEqual({ ...first, tag: "v1", created: false });
    expect(store.list()).toHaveLength(1);
    expect(store.list()[0]?.tags).toEqual(["latest", "v1"]);
  });

  it("gets a version by name, name:tag, name@hash or a unique hash prefix, with its hash and tag", () => {
    const { hash } = store.put(trainer(), { tag: "prod" });
    for (const ref of [
      "trainer:prod",
      `trainer@${hash}`,
      `trainer@${hash.slice(0, 7)}`,
      `default/trainer:prod`,
    ]) {
      const { fn } = store.get(ref);
      expect(fn.metadata.hash, ref).toBe(hash);
      expect(fn.hash, ref).toBe(hash);
    }
    expect(store.get("trainer:prod").fn.metadata.tag).toBe("prod");
  });

  it("moves a tag to another version, atomically, and says where it points", () => {
    const v1 = store.put(trainer("node:20"), { tag: "prod" });
    const v2 = store.put(trainer("node:22"), { tag: null });
    expect(store.resolve("trainer:prod").hash).toBe(v1.hash);
    expect(store.tag(`trainer@${v2.hash}`, "prod")).toEqual({
      project: "default",
      name: "trainer",
      hash: v2.hash,
      tag: "prod",
    });
    expect(store.resolve("trainer:prod").hash).toBe(v2.hash);
  });

  it("says what exists when a reference names nothing", () => {
    store.put(trainer(), { tag: "v1" });
    expect(failure(() => store.get("trainer:v9")).message).toBe(
      'function trainer has no tag "v9" (tags: v1)',
    );
    expect(failure(() => store.get("trainer@abcdef0")).message).toBe(
      "function trainer has no version abcdef0 (tags: v1)",
    );
    const missing = failure(() => store.get("scorer"));
    expect(missing.code).toBe("SLUICE_ERR_FUNCTION_NOT_FOUND");
    expect(missing.message).toBe("no function scorer in the store; stored: trainer");
    expect(failure(() => store.get("Bad Name")).code).toBe("SLUICE_ERR_USAGE");
  });

  it("deletes a tag, a version (with its tags) or, asked explicitly, a whole function", () => {
    const v1 = store.put(trainer("node:20"), { tag: "v1" });
    store.put(trainer("node:22"));
    expect(store.delete("trainer:v1")).toEqual({ versions: 0, tags: 1 });
    expect(store.list()).toHaveLength(2);
    store.tag(`trainer@${v1.hash}`, "old");
    expect(store.delete(`trainer@${v1.hash}`)).toEqual({ versions: 1, tags: 1 });
    expect(failure(() => store.delete("trainer")).message).toBe('say what to delete of "trainer"');
    expect(store.delete("trainer", { all: true })).toEqual({ versions: 1, tags: 1 });
    expect(store.list()).toEqual([]);
  });

  it("keeps projects apart", () => {
    store.put(FunctionObject.create("job", "trainer", { image: "a" }, { project: "churn" }));
    store.put(trainer());
    expect(store.list({ project: "churn" })).toHaveLength(1);
    expect(store.get("churn/trainer").fn.project).toBe("churn");
    expect(store.get("trainer").fn.project).toBe("default");
  });

  it("exports every version and tag, and imports them into another store with the same hashes", () => {
    const v1 = store.put(trainer("node:20"), { tag: "v1" });
    const v2 = store.put(trainer("node:22"));
    const list = exportFunctions(store);
    expect(list.items.map((d) => d.metadata.hash)).toEqual([v1.hash, v2.hash]);
    const other = FunctionStore.open(":memory:");
    try {
      const { stored } = importFunctionList(other, JSON.parse(JSON.stringify(list)), "export.json", "/tmp");
      expect(stored.map((s) => s.hash)).toEqual([v1.hash, v2.hash]);
      expect(other.resolve("trainer:v1").hash).toBe(v1.hash);
      expect(other.resolve("trainer").hash).toBe(v2.hash);
    } finally {
      other.close();
    }
  });

  it("imports a list all or nothing: one bad item stores none", () => {
    store.put(trainer("node:20"));
    const list = exportFunctions(store);
    const other = FunctionStore.open(":memory:");
    try {
      const broken = {
        ...list,
        tags: [...list.tags, { project: "default", name: "trainer", tag: "x", hash: "f".repeat(40) }],
      };
      expect(() => importFunctionList(other, broken, "export.json", "/tmp")).toThrow(
        /tags\/1 must point at one of the list's items/,
      );
      expect(other.list()).toEqual([]);
    } finally {
      other.close();
    }
  });

  it("keeps run records and finds them by uid prefix", () => {
    const { hash } = store.put(trainer());
    const record = {
      uid: "0123456789abcdef0123456789abcdef",
      project: "default",
      name: "trainer",
      hash,
      kind: "job",
      state: "running" as const,
      start: "2026-01-01T00:00:00.000Z",
      params: { epochs: 3 },
      results: {},
    };
    store.saveRun(record);
    store.saveRun({
      ...record,
      state: "completed",
      end: "2026-01-01T00:00:02.000Z",
      results: { accuracy: 0.9 },
      exit_code: 0,
    });
    expect(store.runs.get("0123456")).toEqual({
      ...record,
      state: "completed",
      end: "2026-01-01T00:00:02.000Z",
      results: { accuracy: 0.9 },
      exit_code: 0,
    });
    expect(store.runs.list({ name: "trainer" })).toHaveLength(1);
  });
});

describe("the store's file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-store-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is --store, else SLUICE_STORE, else functions.db in SLUICE_HOME", () => {
    expect(storePath("/x/f.db", { SLUICE_STORE: "/y.db" })).toBe("/x/f.db");
    expect(storePath(undefined, { SLUICE_STORE: "/y.db", SLUICE_HOME: "/h" })).toBe("/y.db");
    expect(storePath(undefined, { SLUICE_HOME: "/h" })).toBe("/h/functions.db");
    expect(storePath(undefined, {})).toMatch(/\.sluice\/functions\.db$/);
  });

  it("is created with its directory, in WAL mode, and survives reopening", () => {
    const path = join(dir, "nested", "functions.db");
    const first = FunctionStore.open(path);
    const { hash } = first.put(trainer());
    first.close();
    const again = FunctionStore.open(path);
    expect(again.resolve("trainer").hash).toBe(hash);
    again.close();
  });

  it("refuses a file that is not a store, in one line", async () => {
    const path = join(dir, "notes.txt");
    await writeFile(path, "these are not the tables you are looking for\n".repeat(100));
    const error = failure(() => FunctionStore.open(path));
    expect(error.code).toBe("SLUICE_ERR_STORE");
    expect(error.message).toBe(`${path} is not a sluice function store (not SQLite)`);
  });
});

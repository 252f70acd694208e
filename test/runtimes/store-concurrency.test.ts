import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FunctionStore } from "../../src/runtimes/index.js";
import { concurrentWriters } from "../fixtures/runtimes/writers.js";

const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("the store under two writer processes at once", () => {
  it("keeps every one of 1,000 puts from two processes and ends with consistent tags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-store-"));
    dirs.push(dir);
    const db = join(dir, "functions.db");
    FunctionStore.open(db).close();
    // Both writers open the store, then are released at the same instant.
    const [first, second] = await concurrentWriters(db, 500, ["a", "b"]);
    if (!first || !second) throw new Error("a writer did not report");
    // The two processes really wrote at the same time.
    expect(first.began).toBeLessThan(second.ended);
    expect(second.began).toBeLessThan(first.ended);
    const a = first.hashes;
    const b = second.hashes;

    const store = FunctionStore.open(db);
    try {
      const versions = store.list({ name: "shared" });
      expect(a).toHaveLength(500);
      expect(b).toHaveLength(500);
      expect(new Set([...a, ...b]).size).toBe(1000);
      expect(versions).toHaveLength(1000);
      const stored = new Set(versions.map((v) => v.hash));
      for (const hash of [...a, ...b]) expect(stored.has(hash)).toBe(true);
      // Each writer's own tag points at its own last version; `latest` at one of the two last ones.
      expect(store.resolve("shared:writer-a").hash).toBe(a.at(-1));
      expect(store.resolve("shared:writer-b").hash).toBe(b.at(-1));
      expect([a.at(-1), b.at(-1)]).toContain(store.resolve("shared:latest").hash);
      expect(store.get(`shared@${a[123]}`).fn.spec.env).toEqual([
        { name: "WRITER", value: "a" },
        { name: "ITERATION", value: "123" },
      ]);
    } finally {
      store.close();
    }
  }, 120_000);
});

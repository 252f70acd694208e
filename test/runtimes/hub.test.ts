import { createReadStream, existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceError } from "../../src/errors.js";
import { bundledHub, Hub, parseHubUri, readFunctionFile, runLocally } from "../../src/runtimes/index.js";

/** A static file server over the bundled hub, as a team would publish one (nginx, S3, GitHub pages). */
let server: Server;
let baseUrl: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(
      /^\/hub\/?/,
      "",
    );
    requests.push(path);
    const file = join(bundledHub, path);
    if (!file.startsWith(bundledHub) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(call: () => Promise<unknown>): Promise<SluiceError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("hub:// references", () => {
  it("read as name and tag, latest by default", () => {
    expect(parseHubUri("hub://csv-stats")).toEqual({ name: "csv-stats", tag: "latest" });
    expect(parseHubUri("hub://csv-stats:1.0.0")).toEqual({ name: "csv-stats", tag: "1.0.0" });
    expect(() => parseHubUri("hub://mlrun/describe")).toThrow(/named hub sources are not supported/);
  });
});

describe("a hub directory", () => {
  it("resolves every function of its index to a valid function of the indexed kind", async () => {
    const hub = new Hub(bundledHub);
    for (const [name, entry] of await hub.list()) {
      for (const tag of Object.keys(entry.tags)) {
        const { fn } = await hub.resolve(`hub://${name}:${tag}`);
        expect(fn.name).toBe(name);
        expect(fn.kind).toBe(entry.kind);
      }
    }
  });

  it("gives the same function, hash included, as reading its document", async () => {
    const { fn } = await new Hub(bundledHub).resolve("hub://csv-stats");
    const direct = await readFunctionFile(join(bundledHub, "csv-stats", "function.yaml"));
    expect(fn.hash).toBe(direct.fn.hash);
  });

  it("names the functions and tags there are when asked for one that is not", async () => {
    const hub = new Hub(bundledHub);
    expect((await failure(() => hub.resolve("hub://nope"))).message).toBe(
      'the hub has no function "nope" (it has: archive, batch-score, csv-stats, http-check, spark-pi)',
    );
    expect((await failure(() => hub.resolve("hub://csv-stats:9.9"))).message).toBe(
      'the hub\'s csv-stats has no tag "9.9" (tags: latest, 1.0.0)',
    );
  });

  it("without an index, finds <name>/<tag>/function.yaml or <name>/function.yaml", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-hub-"));
    try {
      await mkdir(join(dir, "hello", "v2"), { recursive: true });
      const doc = (cmd: string) => `kind: local\nmetadata: {name: hello}\nspec: {command: ${cmd}}\n`;
      await writeFile(join(dir, "hello", "function.yaml"), doc("echo"));
      await writeFile(join(dir, "hello", "v2", "function.yaml"), doc("printf"));
      const hub = new Hub(dir);
      expect((await hub.resolve("hub://hello")).fn.spec).toEqual({ command: "echo" });
      expect((await hub.resolve("hub://hello:v2")).fn.spec).toEqual({ command: "printf" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses index paths that leave the hub", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-hub-"));
    try {
      await writeFile(
        join(dir, "index.yaml"),
        "functions:\n  evil: {tags: {latest: ../../etc/function.yaml}}\n",
      );
      expect((await failure(() => new Hub(dir).resolve("hub://evil"))).message).toContain(
        "is outside the hub",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a hub at an HTTP(S) base URL", () => {
  it("resolves a function through its index, the same as the directory does", async () => {
    const hub = new Hub(baseUrl);
    const { fn, base } = await hub.resolve("hub://batch-score:1.0.0");
    const local = await new Hub(bundledHub).resolve("hub://batch-score:1.0.0");
    expect(fn.hash).toBe(local.fn.hash);
    expect(base).toBe(`${baseUrl}/batch-score/`);
    expect(requests).toContain("index.yaml");
  });

  it("reads its index once per hub object", async () => {
    const hub = new Hub(baseUrl);
    const before = requests.filter((r) => r === "index.yaml").length;
    await hub.resolve("hub://csv-stats");
    await hub.resolve("hub://http-check");
    expect(requests.filter((r) => r === "index.yaml").length - before).toBe(1);
  });

  it("runs a hub handler by downloading its module next to the cache", async () => {
    const cache = await mkdtemp(join(tmpdir(), "sluice-cache-"));
    const csv = join(cache, "data.csv");
    try {
      await writeFile(csv, "x,y\n1,a\n3,b\n");
      const { fn, base } = await new Hub(baseUrl).resolve("hub://csv-stats");
      const record = await runLocally(fn, {
        origin: base,
        cacheDir: cache,
        params: { file: csv },
        stderr: sink(),
      });
      expect(record.state).toBe("completed");
      expect(record.results).toMatchObject({ rows: 2, columns: { x: { type: "number", mean: 2 } } });
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("says when the hub has no index or cannot be reached", async () => {
    expect((await failure(() => new Hub(`${baseUrl}/nowhere`).resolve("hub://x"))).message).toBe(
      `the hub ${baseUrl}/nowhere has no index.yaml`,
    );
    const closed = await failure(() => new Hub("http://127.0.0.1:9/hub").resolve("hub://x"));
    expect(closed.code).toBe("SLUICE_ERR_HUB");
    expect(closed.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9\/hub\/index\.yaml: /);
  });
});

/** Swallows what a run writes. */
function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

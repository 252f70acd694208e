import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const bin = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

let home: string;

/** Runs the built `sluice` from the repo root with its own SLUICE_HOME (so its own store). */
async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, SLUICE_HOME: home, SLUICE_STORE: "", SLUICE_HUB: "" };
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { cwd: repoRoot, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Each test with its own home (so its own store): none relies on what another left behind.
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "sluice-home-"));
});
afterEach(() => rm(home, { recursive: true, force: true }));

/** Stores the hub's csv-stats, tagged latest and v1. */
async function storeCsvStats(): Promise<void> {
  expect((await sluice("functions", "import", "examples/hub/csv-stats/function.yaml")).code).toBe(0);
  expect(
    (await sluice("functions", "import", "examples/hub/csv-stats/function.yaml", "--tag", "v1")).code,
  ).toBe(0);
}

describe("sluice functions", () => {
  it("imports a document, and a second import of the same content changes nothing", async () => {
    const first = await sluice("functions", "import", "examples/hub/csv-stats/function.yaml");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^stored csv-stats@[0-9a-f]{12} \(tag latest\)\n$/);
    const again = await sluice("functions", "import", "examples/hub/csv-stats/function.yaml", "--tag", "v1");
    expect(again.stdout).toMatch(/^unchanged csv-stats@[0-9a-f]{12} \(tag v1\)\n$/);
  });

  it("lists versions with their tags, and gets one as YAML or JSON with its hash", async () => {
    await storeCsvStats();
    const list = await sluice("functions", "list");
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toBe("NAME       HASH          KIND     TAGS       CREATED");
    expect(list.stdout).toMatch(
      /^csv-stats {2}[0-9a-f]{12} {2}handler {2}latest,v1 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m,
    );
    const json = await sluice("functions", "get", "csv-stats:v1", "-o", "json");
    const doc = JSON.parse(json.stdout) as { metadata: { hash: string; tag: string } };
    expect(doc.metadata).toMatchObject({
      name: "csv-stats",
      tag: "v1",
      hash: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    const yaml = await sluice("functions", "get", `csv-stats@${doc.metadata.hash.slice(0, 8)}`);
    expect(yaml.stdout).toContain(`hash: ${doc.metadata.hash}`);
  });

  it("moves a tag and says where it points", async () => {
    await storeCsvStats();
    const { stdout } = await sluice("functions", "tag", "csv-stats:latest", "prod");
    expect(stdout).toMatch(/^csv-stats:prod → csv-stats@[0-9a-f]{12}\n$/);
  });

  it("exports the store and imports it into another one, versions and tags alike", async () => {
    await storeCsvStats();
    const file = join(home, "export.yaml");
    expect((await sluice("functions", "export", "-o", file)).stderr).toBe(`wrote 1 versions to ${file}\n`);
    const listed = (await sluice("functions", "list")).stdout;
    const previous = home;
    home = await mkdtemp(join(tmpdir(), "sluice-home-"));
    try {
      expect((await sluice("functions", "import", file)).stdout).toBe(`${file}: 1 versions (1 new)\n`);
      const other = (await sluice("functions", "list")).stdout;
      const strip = (text: string) => text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, "");
      expect(strip(other)).toBe(strip(listed));
    } finally {
      await rm(home, { recursive: true, force: true });
      home = previous;
    }
  });

  it("refuses an invalid document in one line, with file, line and field, exit 1", async () => {
    const { code, stdout, stderr } = await sluice(
      "functions",
      "import",
      "test/fixtures/runtimes/broken.yaml",
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      'sluice: test/fixtures/runtimes/broken.yaml:7: /spec/resources/limits/memory: "2GB" is not a Kubernetes quantity: write 2Gi (binary) or 2G (decimal)\n',
    );
  });

  it("says what is stored when a reference names nothing, exit 1", async () => {
    await storeCsvStats();
    const { code, stderr } = await sluice("functions", "get", "scorer");
    expect(code).toBe(1);
    expect(stderr).toBe(
      "sluice: no function scorer in the store; stored: csv-stats\nhint: sluice functions import <file> stores a function\n",
    );
  });

  it("lists the hub", async () => {
    const { stdout } = await sluice("functions", "hub");
    expect(stdout).toContain("hub://csv-stats    handler  latest,1.0.0");
  });
});

describe("sluice run --local", () => {
  it("runs a handler in-process with --param values and reports its results", async () => {
    const { code, stderr } = await sluice(
      "run",
      "test/fixtures/runtimes/trainer.yaml",
      "--local",
      "--param",
      "epochs=10",
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/^training for 10 epochs\nrun [0-9a-f]{12} of trainer completed in \d+ ms\n/);
    expect(stderr).toContain('results: {"mode":"cli","accuracy":0.6,"epochs":10}');
  });

  it("runs a local script, streaming its output, and prints the run record with -o json", async () => {
    const { code, stdout } = await sluice(
      "run",
      "test/fixtures/runtimes/script.yaml",
      "--local",
      "-o",
      "json",
    );
    expect(code).toBe(0);
    const [output, record] = [
      stdout.slice(0, stdout.indexOf("{")),
      JSON.parse(stdout.slice(stdout.indexOf("{"))),
    ];
    expect(output).toBe("greeting=bonjour epochs=none\n");
    expect(record).toMatchObject({
      name: "script",
      kind: "local",
      state: "completed",
      exit_code: 0,
      results: { lines: 2 },
    });
  });

  it("exits 3 with the exit code and the script's last words when the run fails", async () => {
    const { code, stderr } = await sluice(
      "run",
      "test/fixtures/runtimes/script.yaml",
      "--local",
      "--param",
      "exit=4",
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /sluice: run [0-9a-f]{12} of script error: exited with code 4: failing on purpose with 4\n/,
    );
  });

  it("exits 3 when the timeout stops the run", async () => {
    const { code, stderr } = await sluice(
      "run",
      "test/fixtures/runtimes/script.yaml",
      "--local",
      "--param",
      "sleep=20",
      "--timeout",
      "500ms",
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(/sluice: run [0-9a-f]{12} of script aborted: timed out after 500 ms\n/);
  });

  it("runs hub functions and keeps each run's record", async () => {
    const csv = join(home, "d.csv");
    await writeFile(csv, "a,b\n1,2\n");
    expect((await sluice("run", "test/fixtures/runtimes/script.yaml", "--local")).code).toBe(0);
    expect(
      (await sluice("run", "test/fixtures/runtimes/script.yaml", "--local", "--param", "exit=4")).code,
    ).toBe(3);
    expect((await sluice("run", "hub://csv-stats", "--local", "--param", `file=${csv}`)).code).toBe(0);
    const runs = await sluice("functions", "runs", "-o", "json");
    const records = JSON.parse(runs.stdout) as { name: string; state: string }[];
    expect(records.map((r) => `${r.name}:${r.state}`)).toEqual([
      "csv-stats:completed",
      "script:error",
      "script:completed",
    ]);
  });

  it("says in one line when the kubeconfig for a cluster run does not exist, exit 1", async () => {
    const { code, stderr } = await sluice(
      "run",
      "hub://batch-score",
      "--kubeconfig",
      "/nonexistent/kubeconfig",
    );
    expect(code).toBe(1);
    expect(stderr).toBe("sluice: kubeconfig /nonexistent/kubeconfig does not exist\n");
  });

  it("keeps the store where SLUICE_HOME says", async () => {
    await storeCsvStats();
    expect((await readFile(join(home, "functions.db"))).subarray(0, 15).toString()).toBe("SQLite format 3");
  });
});

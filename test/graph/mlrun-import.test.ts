import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { registerImport } from "../../src/cli/import.js";
import { SluiceError } from "../../src/errors.js";
import { type ClassMapping, importMlrunServing, readClassMapping } from "../../src/graph/mlrun/index.js";
import { GraphInvalidError, type Problem } from "../../src/graph/problems.js";
import { validateDocument } from "../../src/graph/schema.js";

const fixtures = fileURLToPath(new URL("../fixtures/mlrun/", import.meta.url));
const fixture = async (name: string): Promise<unknown> => parse(await readFile(join(fixtures, name), "utf8"));
const mapping = readClassMapping(parse(readFileSync(join(fixtures, "mapping.yaml"), "utf8")), "mapping.yaml");

/** Imports a fixture (or a document) with the fixtures' mapping. */
async function imported(source: string | unknown, map: ClassMapping = mapping) {
  const raw = typeof source === "string" ? await fixture(source) : source;
  return importMlrunServing(raw, { file: "function.yaml", mapping: map });
}

/** A serving function whose flow has these steps (MLRun's YAML). */
function flow(steps: string, graph: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) {
  return {
    kind: "serving",
    metadata: { name: "t" },
    spec: { ...spec, graph: { steps: parse(steps), ...graph } },
  };
}

/** A serving function whose graph is one root router (MLRun's YAML). */
function router(yaml: string, spec: Record<string, unknown> = {}) {
  return {
    kind: "serving",
    metadata: { name: "t" },
    spec: { ...spec, graph: { kind: "router", ...parse(yaml) } },
  };
}

/** The problems the import refuses `raw` with. */
function problems(raw: unknown, map: ClassMapping = mapping): Problem[] {
  try {
    importMlrunServing(raw, { file: "function.yaml", mapping: map });
  } catch (error) {
    if (error instanceof GraphInvalidError) return error.problems;
    throw error;
  }
  throw new Error("expected the import to be refused");
}

describe("importing an MLRun flow with an error handler, a model router and a Kafka queue", () => {
  it("gives a sluice flow whose every step keeps its code, args, edges, paths and function", async () => {
    const { document } = await imported("fraud-flow.yaml");
    expect(document).toEqual({
      apiVersion: "sluice/v1",
      kind: "Graph",
      metadata: { name: "fraud-scoring", labels: { team: "risk", tier: "1" } },
      spec: {
        topology: "flow",
        steps: {
          parse: { handler: "./steps.mjs#parseRequest" },
          enrich: {
            class: "./steps.mjs#Enricher",
            args: { table: "users", cache_ttl: 60 },
            after: ["parse"],
            input_path: "user",
            result_path: "user_info",
            on_error: "enrich_failed",
          },
          models: {
            kind: "router",
            type: "model",
            after: ["enrich"],
            routes: {
              fraud: {
                kind: "model",
                class: "./models.mjs#Fraud",
                args: { model_path: "store://models/risk/fraud:latest", threshold: 0.7 },
              },
              "fraud:v2": {
                kind: "model",
                class: "./models.mjs#FraudV2",
                args: { model_path: "store://models/risk/fraud-v2:latest" },
              },
            },
          },
          "audit.parse": { handler: "./steps.mjs#auditLog", after: ["parse"], full_event: true },
          "audit.models": { handler: "./steps.mjs#auditLog", after: ["models"], full_event: true },
          to_stream: { kind: "queue", stream: "kafka://fraud-scored", after: ["models"] },
          archive: { class: "./steps.mjs#Archiver", after: ["to_stream"], function: "fraud-archiver" },
          enrich_failed: {
            kind: "error",
            handler: "./steps.mjs#defaultUserInfo",
            before: ["models"],
            result_path: "user_info",
          },
          graph_error: { kind: "error", handler: "./steps.mjs#errorResponse", full_event: true },
        },
        responder: "models",
        on_error: "graph_error",
      },
    });
  });

  it("gives a document the sluice schema accepts", async () => {
    for (const name of ["fraud-flow.yaml", "churn-router.yaml", "iris-ensemble.yaml"]) {
      const { document } = await imported(name);
      expect(validateDocument(document, name)).toEqual([]);
    }
  });

  it("says which step was copied per upstream, which broker the queue used, and what was left behind", async () => {
    const { notes } = await imported("fraud-flow.yaml");
    const expected = [
      /router "models": MLRun sent requests naming no model to the first route; sluice answers 404/,
      /queue "to_stream": MLRun used broker kafka\.data\.svc:9092/,
      /queue "to_stream": shards ignored/,
      /queue "to_stream": retention_in_hours ignored/,
      /"audit" has upstreams parse, models: .*copied per upstream \(audit → audit\.parse, audit\.models\)/,
      /spec\.track_models/,
      /spec\.parameters \(log_level\)/,
      /spec\.function_refs ignored/,
      /spec\.error_stream "kafka:\/\/kafka\.data\.svc:9092\/fraud-errors" ignored/,
      /spec\.image, spec\.build, spec\.env, spec\.min_replicas, spec\.max_replicas describe MLRun's container/,
    ];
    expect(notes).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(notes[i]).toMatch(pattern);
  });

  it("drops cosmetic fields (shape, comment) without a word", async () => {
    const { document, notes } = await imported("fraud-flow.yaml");
    expect(JSON.stringify(document)).not.toMatch(/shape|comment|joins the user profile/);
    expect(notes.join("\n")).not.toMatch(/shape|comment/);
  });
});

describe("importing an MLRun router topology", () => {
  it("gives topology router with a model router whose routes are models, ModelRouter being the default", async () => {
    const { document, notes } = await imported("churn-router.yaml");
    expect(document.metadata).toEqual({
      name: "churn-server",
      labels: { author: "yaronh", framework: "sklearn" },
    });
    expect(document.spec).toEqual({
      topology: "router",
      router: {
        type: "model",
        routes: {
          churn: {
            kind: "model",
            class: "./models.mjs#Classifier",
            args: { model_path: "store://models/churn/churn-xgb:latest" },
          },
          "churn:v2": {
            kind: "model",
            class: "./models.mjs#Classifier",
            args: { model_path: "store://models/churn/churn-lgbm:latest" },
          },
          survival: {
            kind: "model",
            class: "./models.mjs#CoxSurvival",
            args: { model_path: "store://models/churn/cox:latest", horizon_days: 90 },
          },
        },
      },
    });
    expect(notes).toEqual([
      "the router: MLRun sent requests naming no model to the first route; sluice answers 404 instead",
      'spec.load_mode "async" ignored: a sluice model is ready once its load() resolves',
      "spec.image, spec.min_replicas, spec.max_replicas describe MLRun's container, not the graph: not carried over",
    ]);
  });

  it("gives a VotingEnsemble as an ensemble router with its vote and weights, routes without a class taking default_class", async () => {
    const { document, notes } = await imported("iris-ensemble.yaml");
    expect(document.spec).toEqual({
      topology: "router",
      router: {
        type: "ensemble",
        vote: "classification",
        weights: { rf: 2, xgb: 1, knn: 1 },
        routes: {
          rf: {
            kind: "model",
            class: "./models.mjs#Sklearn",
            args: { model_path: "store://models/iris/iris-rf:latest" },
          },
          xgb: {
            kind: "model",
            class: "./models.mjs#XGBoost",
            args: { model_path: "store://models/iris/iris-xgb:latest" },
          },
          knn: {
            kind: "model",
            class: "./models.mjs#Sklearn",
            args: { model_path: "store://models/iris/iris-knn:latest" },
          },
        },
      },
    });
    expect(notes[0]).toBe(
      "the router: class_args executor_type, prediction_col_name ignored (no sluice equivalent)",
    );
  });

  it("gives a ParallelRun as a parallel router, and a VotingEnsemble without vote_type a note", async () => {
    const parallel = await imported(
      router(`{class_name: mlrun.serving.ParallelRun, routes: {a: {handler: audit_log}}}`),
    );
    expect(parallel.document.spec.router).toEqual({
      type: "parallel",
      routes: { a: { handler: "./steps.mjs#auditLog" } },
    });
    const ensemble = await imported(
      router(`{class_name: VotingEnsemble, routes: {a: {class_name: ClassifierModel}}}`),
    );
    expect(ensemble.document.spec.router?.type).toBe("ensemble");
    expect(ensemble.notes[0]).toMatch(/MLRun guessed vote_type from the predictions; set `vote`/);
  });
});

describe("importing other MLRun shapes", () => {
  it("copies everything below a step with several upstreams, per upstream", async () => {
    const { document, notes } = await imported(
      flow(`
        a: {handler: parse_request}
        b: {handler: parse_request, after: [a]}
        c: {handler: parse_request, after: [a]}
        d: {handler: audit_log, after: [b, c]}
        e: {handler: audit_log, after: [d]}
        f: {handler: audit_log, after: [a], responder: true}
      `),
    );
    expect(document.spec.steps).toEqual({
      a: { handler: "./steps.mjs#parseRequest" },
      b: { handler: "./steps.mjs#parseRequest", after: ["a"] },
      c: { handler: "./steps.mjs#parseRequest", after: ["a"] },
      "d.b": { handler: "./steps.mjs#auditLog", after: ["b"] },
      "d.c": { handler: "./steps.mjs#auditLog", after: ["c"] },
      "e.b": { handler: "./steps.mjs#auditLog", after: ["d.b"] },
      "e.c": { handler: "./steps.mjs#auditLog", after: ["d.c"] },
      f: { handler: "./steps.mjs#auditLog", after: ["a"] },
    });
    expect(document.spec.responder).toBe("f");
    expect(notes).toEqual([expect.stringContaining("copied per upstream (d → d.b, d.c; e → e.b, e.c)")]);
  });

  it("keeps a sync chain as it is, without the async engine's notes", async () => {
    const { document, notes } = await imported(
      flow(`{a: {handler: parse_request}, b: {handler: audit_log, after: [a]}}`, { engine: "sync" }),
    );
    expect(document.spec.steps).toEqual({
      a: { handler: "./steps.mjs#parseRequest" },
      b: { handler: "./steps.mjs#auditLog", after: ["a"] },
    });
    expect(notes).toEqual([]);
  });

  it("warns that without a responder MLRun answered at once, where sluice waits for the terminal step", async () => {
    const { notes } = await imported(flow(`{a: {handler: parse_request}}`));
    expect(notes).toEqual([
      expect.stringMatching(/no step responds: MLRun's async engine answered \{"id": \.\.\.\} at once/),
    ]);
  });

  it("turns MLRun's RemoteStep into a remote step, its timeout in milliseconds", async () => {
    const { document, notes } = await imported(
      flow(`
        score:
          kind: task
          class_name: $remote
          class_args: {url: "http://scorer:8080/score", method: post, headers: {x-team: risk}, retries: 2, timeout: 0.25, max_in_flight: 8}
          responder: true
      `),
    );
    expect(document.spec.steps?.score).toEqual({
      kind: "remote",
      url: "http://scorer:8080/score",
      method: "POST",
      headers: { "x-team": "risk" },
      retries: 2,
      timeout: 250,
    });
    expect(notes).toEqual(['step "score": RemoteStep max_in_flight ignored']);
  });

  it("reads the topic from ?topic= and the brokers from the queue's options", async () => {
    const { document, notes } = await imported(
      flow(`
        q: {kind: queue, path: "kafka:///?topic=scored", options: {kafka_brokers: "k1:9092,k2:9092", full_event: true}}
      `),
    );
    expect(document.spec.steps?.q).toEqual({ kind: "queue", stream: "kafka://scored" });
    expect(notes[0]).toMatch(/queue "q": MLRun used broker k1:9092,k2:9092/);
  });

  it("keeps a queue without a path as an in-process queue", async () => {
    const { document } = await imported(
      flow(`{q: {kind: queue}, a: {handler: audit_log, after: [q], responder: true}}`),
    );
    expect(document.spec.steps?.q).toEqual({ kind: "queue" });
  });

  it("reads a deployed graph, where MLRun lists the error step in the after of its before steps", async () => {
    const { document } = await imported(
      flow(`
        a: {handler: parse_request, on_error: recover}
        b: {handler: audit_log, after: [a, recover], responder: true}
        recover: {kind: error_step, handler: default_user_info, responder: true}
      `),
    );
    expect(document.spec.steps?.b).toEqual({ handler: "./steps.mjs#auditLog", after: ["a"] });
    expect(document.spec.steps?.recover).toEqual({
      kind: "error",
      handler: "./steps.mjs#defaultUserInfo",
      before: ["b"],
    });
    expect(document.spec.responder).toBe("b");
  });

  it("notes a class method MLRun called instead of do(), and fields it does not know", async () => {
    const { notes } = await imported(
      flow(`{e: {class_name: fraud.steps.Enricher, handler: enrich, responder: true, retries: 3}}`),
    );
    expect(notes).toEqual([
      'step "e": retries ignored (no sluice equivalent)',
      'step "e": MLRun called fraud.steps.Enricher.enrich(); sluice calls do() of ./steps.mjs#Enricher',
    ]);
  });
});

describe("what the import refuses: one problem each, pointing into the MLRun document", () => {
  it("refuses a class the mapping does not name, saying which and in which mapping file", () => {
    const found = problems(flow(`{e: {class_name: fraud.steps.Unknown, responder: true}}`));
    expect(found).toEqual([
      {
        file: "function.yaml",
        pointer: "/spec/graph/steps/e/class_name",
        step: "e",
        message:
          'class "fraud.steps.Unknown" has no sluice equivalent: it is not in mapping.yaml; ' +
          'map it under classes, e.g. "fraud.steps.Unknown": ./steps.mjs#Unknown',
      },
    ]);
  });

  it("refuses a handler the mapping does not name, and says when no mapping file was given", () => {
    expect(problems(flow(`{a: {handler: json.dumps}}`))[0]).toMatchObject({
      pointer: "/spec/graph/steps/a/handler",
      message: expect.stringContaining(
        'handler "json.dumps" has no sluice equivalent: it is not in mapping.yaml',
      ),
    });
    const none = { classes: new Map(), handlers: new Map() };
    expect(problems(flow(`{a: {handler: json.dumps}}`), none)[0]?.message).toContain(
      "no mapping file was given",
    );
  });

  it("refuses v3io streams, with or without the scheme, and streams of other kinds", () => {
    const found = problems(
      flow(`
        a: {kind: queue, path: "v3io:///projects/risk/streams/scored"}
        b: {kind: queue, path: "projects/risk/streams/scored"}
        c: {kind: queue, path: "ds://my-profile/scored"}
      `),
    );
    expect(found.map((p) => p.pointer)).toEqual([
      "/spec/graph/steps/a/path",
      "/spec/graph/steps/b/path",
      "/spec/graph/steps/c/path",
    ]);
    expect(found[0]?.message).toMatch(/is a v3io stream, which exists only on Iguazio's platform/);
    expect(found[1]?.message).toMatch(/is a v3io stream/);
    expect(found[2]?.message).toMatch(/is no stream for sluice/);
  });

  it("refuses step kinds sluice has no equivalent for", () => {
    const found = problems(flow(`{a: {kind: model_runner}, b: {kind: flow, steps: {}}}`));
    expect(found).toMatchObject([
      { pointer: "/spec/graph/steps/a/kind", message: expect.stringContaining('step kind "model_runner"') },
      { pointer: "/spec/graph/steps/b/kind", message: expect.stringContaining("nested flows") },
    ]);
  });

  it("refuses a sync graph with branches, which MLRun's sync engine never ran", () => {
    const forked = flow(
      `{a: {handler: parse_request}, b: {handler: audit_log, after: [a]}, c: {handler: audit_log, after: [a]}}`,
      {
        engine: "sync",
      },
    );
    expect(problems(forked)).toMatchObject([
      {
        pointer: "/spec/graph/engine",
        message: expect.stringContaining('"a" branches to b, c; use engine async'),
      },
    ]);
    const twoStarts = flow(`{a: {handler: parse_request}, b: {handler: audit_log}}`, { engine: "sync" });
    expect(problems(twoStarts)[0]?.message).toContain("a, b all start it");
  });

  it("refuses router classes that are not ModelRouter, VotingEnsemble or ParallelRun", () => {
    expect(
      problems(
        router(
          `{class_name: mlrun.serving.routers.EnrichmentModelRouter, routes: {a: {handler: audit_log}}}`,
        ),
      ),
    ).toMatchObject([
      {
        pointer: "/spec/graph/class_name",
        message: expect.stringContaining(
          'router class "mlrun.serving.routers.EnrichmentModelRouter" has no sluice router type',
        ),
      },
    ]);
    expect(
      problems(flow(`{r: {kind: router, class_name: my.Router, routes: {a: {handler: audit_log}}}}`)),
    ).toMatchObject([{ pointer: "/spec/graph/steps/r/class_name", step: "r" }]);
  });

  it("refuses to copy a step with several upstreams when the copies would double the responder", () => {
    const found = problems(
      flow(`
        a: {handler: parse_request}
        b: {handler: parse_request}
        j: {handler: audit_log, after: [a, b]}
        out: {handler: audit_log, after: [j], responder: true}
      `),
    );
    expect(found).toEqual([
      expect.objectContaining({
        pointer: "/spec/graph/steps/out/responder",
        message: expect.stringMatching(
          /^"j" runs once per upstream \(a, b\) in MLRun.*"out" below it is the responder/,
        ),
      }),
    ]);
  });

  it("refuses to copy a step with several upstreams when a queue or another join lies below it", () => {
    const queue = problems(
      flow(`
        a: {handler: parse_request}
        b: {handler: parse_request, responder: true}
        j: {handler: audit_log, after: [a, b]}
        q: {kind: queue, path: "kafka://k:9092/t", after: [j]}
      `),
    );
    expect(queue).toMatchObject([
      { pointer: "/spec/graph/steps/q/path", message: expect.stringContaining("is a queue") },
    ]);
    const nested = problems(
      flow(`
        a: {handler: parse_request, responder: true}
        b: {handler: parse_request}
        c: {handler: parse_request}
        j: {handler: audit_log, after: [a, b]}
        k: {handler: audit_log, after: [j, c]}
      `),
    );
    expect(nested).toMatchObject([
      {
        pointer: "/spec/graph/steps/k/after",
        message: expect.stringContaining('"k" below it has other upstreams'),
      },
    ]);
  });

  it("refuses what is not an MLRun serving function, cycles, and dangling step names", () => {
    expect(problems({ kind: "job", metadata: { name: "t" }, spec: {} })).toMatchObject([
      { pointer: "/kind", message: expect.stringContaining('MLRun "job" function') },
      { pointer: "/spec/graph" },
    ]);
    expect(
      problems(flow(`{a: {handler: parse_request, after: [b]}, b: {handler: audit_log, after: [a]}}`)),
    ).toMatchObject([{ pointer: "/spec/graph/steps/a/after", message: expect.stringContaining("acyclic") }]);
    expect(problems(flow(`{a: {handler: parse_request, after: [nope], on_error: a}}`))).toMatchObject([
      { pointer: "/spec/graph/steps/a/after/0", message: '"nope" is not a step of this graph' },
      { pointer: "/spec/graph/steps/a/on_error", message: '"a" is a task step, not an error_step' },
    ]);
  });

  it("refuses a vote type and weights the ensemble cannot use, and templated remote calls", () => {
    const ensemble = router(`
      class_name: VotingEnsemble
      class_args: {vote_type: max, weights: {a: 1, z: 2}}
      routes: {a: {class_name: ClassifierModel}}
    `);
    expect(problems(ensemble).map((p) => p.pointer)).toEqual([
      "/spec/graph/class_args/vote_type",
      "/spec/graph/class_args/weights/z",
    ]);
    const remote = flow(
      `{s: {class_name: $remote, class_args: {url_expression: "event['url']"}, responder: true}}`,
    );
    expect(problems(remote).map((p) => p.pointer)).toEqual([
      "/spec/graph/steps/s/class_args/url_expression",
      "/spec/graph/steps/s/class_args/url",
    ]);
  });

  it("reports every problem at once", () => {
    const found = problems(
      flow(
        `
        a: {class_name: nope.Missing}
        b: {kind: queue, path: "v3io:///s", after: [a]}
        c: {kind: choice, after: [b]}
      `,
        {},
        { error_stream: "v3io:///errors" },
      ),
    );
    expect(found.map((p) => p.pointer)).toEqual([
      "/spec/graph/steps/a/class_name",
      "/spec/graph/steps/b/path",
      "/spec/graph/steps/c/kind",
    ]);
  });
});

describe("reading a mapping file", () => {
  it("gives classes and handlers as written; an empty file maps nothing", () => {
    expect(mapping.classes.get("ClassifierModel")).toBe("./models.mjs#Classifier");
    expect(mapping.handlers.get("parse_request")).toBe("./steps.mjs#parseRequest");
    expect(readClassMapping(null, "m.yaml")).toEqual({
      file: "m.yaml",
      classes: new Map(),
      handlers: new Map(),
    });
  });

  it("refuses references that are not module#export or builtin:<name>, and unknown sections", () => {
    let thrown: unknown;
    try {
      readClassMapping({ classes: { A: "./a.mjs", B: "builtin:echo" }, handler: {} }, "m.yaml");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphInvalidError);
    expect((thrown as GraphInvalidError).problems).toMatchObject([
      {
        file: "m.yaml",
        pointer: "/classes/A",
        message: expect.stringContaining('"./a.mjs" is not a module reference'),
      },
      { file: "m.yaml", pointer: "/handler", message: expect.stringContaining('unknown section "handler"') },
    ]);
  });
});

describe("sluice import mlrun <file>", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-import-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the command in-process; returns what it printed. */
  async function sluiceImport(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const program = new Command().exitOverride();
    registerImport(program);
    let stdout = "";
    let stderr = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(["import", ...args], { from: "user" });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    return { stdout, stderr };
  }

  it("prints the graph as YAML and each note on stderr", async () => {
    const file = join(fixtures, "churn-router.yaml");
    const { stdout, stderr } = await sluiceImport("mlrun", file, "--mapping", join(fixtures, "mapping.yaml"));
    expect(stdout).toMatch(/^# imported from churn-router\.yaml by `sluice import mlrun`\n/);
    expect(parse(stdout)).toEqual((await imported("churn-router.yaml")).document);
    expect(stderr.split("\n")[0]).toBe(
      "note: the router: MLRun sent requests naming no model to the first route; sluice answers 404 instead",
    );
  });

  it("writes the graph to -o", async () => {
    const output = join(dir, "fraud.yaml");
    const file = join(fixtures, "fraud-flow.yaml");
    const { stdout, stderr } = await sluiceImport(
      "mlrun",
      file,
      "--mapping",
      join(fixtures, "mapping.yaml"),
      "-o",
      output,
    );
    expect(stdout).toBe("");
    expect(parse(await readFile(output, "utf8"))).toEqual((await imported("fraud-flow.yaml")).document);
    expect(stderr).toContain(`wrote ${output}\n`);
  });

  it("refuses a source other than mlrun with a usage error", async () => {
    await expect(sluiceImport("kserve", "x.yaml")).rejects.toMatchObject({ code: "SLUICE_ERR_USAGE" });
    await expect(sluiceImport("kserve", "x.yaml")).rejects.toBeInstanceOf(SluiceError);
  });

  it("gives problems the line of the MLRun file they point at", async () => {
    const file = join(dir, "function.yaml");
    await writeFile(
      file,
      "kind: serving\nmetadata: {name: t}\nspec:\n  graph:\n    steps:\n      a:\n        class_name: nope.Missing\n",
    );
    const error = await sluiceImport("mlrun", file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    expect((error as GraphInvalidError).problems).toMatchObject([
      {
        file,
        line: 7,
        pointer: "/spec/graph/steps/a/class_name",
        message: expect.stringContaining("no mapping file was given"),
      },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import type {
  CronTrigger,
  ErrorStep,
  GraphDocument,
  GraphSpec,
  KafkaTrigger,
  ModelRoute,
  ModelStep,
  NatsTrigger,
  QueueStep,
  RemoteCall,
  RemoteRoute,
  RemoteStep,
  RouterStep,
  RouteStep,
  StepBase,
  StepGuards,
  TaskStep,
} from "../../src/graph/document.js";
import { readGraphText } from "../../src/graph/loader.js";
import type { Problem } from "../../src/graph/problems.js";
import { graphSchema, patternMessages, validateDocument } from "../../src/graph/schema.js";

/** Strips the indentation common to all lines, so documents can be written inline. */
function dedent(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce(
    (all, part, i) => all + part + (i < values.length ? String(values[i]) : ""),
    "",
  );
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n\s*$/, "")
    .split("\n");
  const margin = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(margin)).join("\n")}\n`;
}

/** A graph document around a `spec` body; the body's first line is line 5. */
function graph(strings: TemplateStringsArray, ...values: unknown[]): string {
  const body = dedent(strings, ...values)
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
  return `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: test}\nspec:\n${body}`;
}

function problemsOf(yaml: string): Problem[] {
  const loaded = readGraphText(yaml, "graph.yaml");
  return validateDocument(loaded.raw, loaded.file, loaded.lineOf);
}

/** One problem in graph.yaml, as the user gets it. */
function problem(pointer: string, line: number, message: string, step?: string): Problem {
  return { file: "graph.yaml", pointer, line, message, ...(step === undefined ? {} : { step }) };
}

describe("valid documents pass", () => {
  it("passes the full example of DESIGN.md section 2", () => {
    const example = dedent`
      apiVersion: sluice/v1
      kind: Graph
      metadata: {name: fraud, labels: {team: risk}}   # name: a Kubernetes-style name
      spec:
        topology: flow            # flow: a DAG of steps | router: the root is a router over models
        steps:                    # name -> step (names are keys, as in MLRun)
          parse:    {handler: ./steps.mjs#parse}
          enrich:   {class: ./steps.mjs#Enricher, args: {table: users}, after: [parse],
                     input_path: user, result_path: user_info}
          models:
            kind: router
            type: model           # model | switch | split | ensemble | parallel
            after: [enrich]
            routes:
              fraud:     {kind: model, class: ./models.mjs#Fraud, args: {threshold: 0.7}}
              fraud:v2:  {kind: model, class: ./models.mjs#FraudV2}
          score_api: {kind: remote, url: http://scorer:8080/score, after: [enrich],
                      timeout: 250ms, retries: 2, breaker: {errorThresholdPercentage: 50}}
          merge:    {handler: ./steps.mjs#merge, after: [models, score_api]}   # a join
          audit:    {kind: queue, stream: kafka://audit-events, after: [merge]}
          store:    {handler: ./steps.mjs#store, after: [audit], function: archiver}
          oops:     {kind: error, handler: ./steps.mjs#recover}
        responder: merge          # whose output answers the HTTP caller
        on_error: oops            # graph-level handler; steps may set their own on_error
        triggers:
          - {kind: http}
          - {kind: kafka, brokers: [127.0.0.1:9092], topics: [tx], group: fraud,
             output: {topic: tx-scored}, dlq: {topic: tx-dlq, maxAttempts: 3}}
          - {kind: nats, url: nats://127.0.0.1:4222, subject: tx.in, queue: fraud,
             jetstream: {stream: TX, durable: fraud, maxDeliver: 5}}
    `;
    expect(problemsOf(example)).toEqual([]);
  });

  it("passes every step kind, with and without an explicit kind for tasks", () => {
    const yaml = graph`
      steps:
        plain: {handler: ./steps.mjs#parse}
        explicit: {kind: task, class: ./steps.mjs#Enricher, args: {table: users}, full_event: true}
        shipped: {handler: "builtin:echo", input_path: a.b, result_path: c, comment: why}
        model: {kind: model, class: ./models.mjs#Fraud, args: {threshold: 0.7}, weight: 10, when: "true"}
        remote:
          kind: remote
          url: https://scorer/score
          method: PUT
          headers: {x-team: risk}
          retries: 0
          breaker: {resetTimeout: 1000}
          timeout: 1500
        boundary: {kind: queue, stream: nats://tx.scored, after: [remote], function: scorer, placement: nuclio}
        local_queue: {kind: queue}
        recover: {kind: error, handler: ./steps.mjs#recover, before: [plain]}
        answer: {handler: ./steps.mjs#answer, responder: true, on_error: recover}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("passes routers of every type with task, model and remote routes", () => {
    const yaml = graph`
      steps:
        by_model:
          kind: router
          type: model
          routes:
            fraud: {kind: model, class: ./models.mjs#Fraud}
            fraud:v2: {kind: model, class: ./models.mjs#FraudV2}
        by_rule:
          kind: router
          type: switch
          default: small
          routes:
            big: {handler: ./steps.mjs#big, when: body.amount > 1000}
            small: {kind: task, handler: ./steps.mjs#small}
        canary:
          kind: router
          type: split
          routes:
            stable: {kind: remote, url: http://stable/score, weight: 90}
            canary: {kind: remote, url: http://canary/score, weight: 10}
        vote:
          kind: router
          type: ensemble
          vote: classification
          weights: {a: 2, b: 0.5}
          routes:
            a: {kind: model, class: ./models.mjs#A}
            b: {kind: model, class: ./models.mjs#B}
        fan_out:
          kind: router
          type: parallel
          routes:
            one: {handler: ./steps.mjs#one}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("passes a router topology", () => {
    const yaml = graph`
      topology: router
      router:
        type: model
        timeout: 2s
        routes:
          iris: {kind: model, class: ./models.mjs#Iris}
          iris:v2: {kind: model, class: ./models.mjs#Iris2}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("passes every trigger, with their kafka and nats options", () => {
    const yaml = graph`
      steps:
        a: {handler: ./steps.mjs#a}
      triggers:
        - {kind: http}
        - {kind: kafka, brokers: [k1:9092, k2:9092], topics: [tx], group: g}
        - kind: kafka
          brokers: [k1:9092]
          topics: [tx, tx2]
          group: g
          output: {topic: out}
          dlq: {topic: dlq}
          fromBeginning: true
        - {kind: nats, url: nats://n:4222, subject: tx.in}
        - kind: nats
          url: nats://n:4222
          subject: tx.in
          queue: workers
          jetstream: {stream: TX, durable: d, maxDeliver: 3, ackWait: 30s}
          output: {subject: tx.out}
        - kind: kafka
          brokers: [k1:9092]
          topics: [tx]
          group: g
          concurrency: 8
          maxAttempts: 5
          commit: {everyEvents: 500, everyMs: 250}
          clientId: scorer
          sasl: {mechanism: scram-sha-512, username: u, password: p}
          ssl: {rejectUnauthorized: true}
        - {kind: nats, url: nats://n:4222, subject: tx.in, jetstream: {stream: TX, durable: d, ackWait: 45000}, dlq: {subject: tx.dead}, concurrency: 4}
        - {kind: cron, schedule: "*/5 * * * *"}
        - {kind: cron, interval: 30s, event: {body: {ping: true}, headers: {x-source: cron}}}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("accepts durations as milliseconds or 250ms, 2s, 1.5m, 1h", () => {
    const yaml = graph`
      steps:
        a: {handler: x#a, timeout: 250ms}
        b: {handler: x#b, timeout: 2s}
        c: {handler: x#c, timeout: 1.5m}
        d: {handler: x#d, timeout: 1h}
        e: {handler: x#e, timeout: 1500}
        f: {handler: x#f, timeout: 0.5}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });

  it("accepts every field of the TypeScript types (the schema and document.ts agree)", () => {
    // Required<...> makes the compiler list every field: a field added to document.ts must
    // be added here, and then this test fails until the schema knows it too.
    const base: Required<Omit<StepBase, "kind">> = {
      after: [],
      input_path: "in",
      result_path: "out",
      full_event: false,
      on_error: "oops",
      timeout: "2s",
      function: "fn",
      placement: "local",
      responder: false,
      comment: "note",
    };
    const guards: Required<StepGuards> = { maxConcurrency: 4, maxQueue: 8, fallback: { value: null } };
    const call: Required<RemoteCall> = {
      retries: 1,
      backoff: { initial: "10ms", max: 1000 },
      breaker: {
        errorThresholdPercentage: 50,
        volumeThreshold: 5,
        resetTimeout: "5s",
        rollingCountTimeout: 10_000,
        rollingCountBuckets: 10,
      },
      target: { maxConcurrency: 16, maxQueue: 32, connections: 16 },
    };
    const task: Required<Omit<TaskStep, "class">> = {
      ...base,
      ...guards,
      kind: "task",
      handler: "./s.mjs#f",
      args: { a: 1 },
      nuclio: { url: "http://fn:8080/", ...call },
    };
    const modelRoute: Required<Omit<ModelRoute, "handler">> = {
      ...base,
      kind: "model",
      class: "./m.mjs#M",
      args: {},
      weight: 50,
      when: "true",
      batching: { max_batch_size: 8, max_batch_time: "2ms" },
      monitoring: {
        stream: "kafka://m",
        sample: 0.5,
        fields: ["inputs", "shapes", "parameters"],
        buffer: 100,
      },
    };
    const model: Required<Omit<ModelStep, "handler">> = { ...modelRoute, ...guards, monitoring: false };
    const remoteRoute: Required<RemoteRoute> = {
      ...base,
      ...call,
      kind: "remote",
      url: "http://x/{model}{path}",
      method: "POST",
      headers: { a: "b" },
      body: "raw",
      weight: 50,
      when: "true",
    };
    const remote: Required<RemoteStep> = { ...remoteRoute, ...guards, fallback: "error" };
    const queue: Required<QueueStep> = {
      ...base,
      kind: "queue",
      stream: "kafka://t",
      partitions: 3,
      dlq: { topic: "t-dlq", maxAttempts: 2 },
      consume: false,
    };
    const error: Required<Omit<ErrorStep, "class">> = {
      ...base,
      kind: "error",
      handler: "./s.mjs#e",
      args: {},
      before: ["task"],
    };
    const taskRoute: Required<Omit<Extract<RouteStep, { kind?: "task" }>, "handler">> = {
      ...base,
      kind: "task",
      class: "./s.mjs#C",
      args: {},
      weight: 10,
      when: "true",
    };
    const { after: _after, ...noAfter } = base;
    const routerFields = {
      type: "split",
      routes: { t: taskRoute, m: modelRoute, r: remoteRoute },
      default: "t",
    } as const;
    const router: Required<RouterStep> = {
      ...base,
      ...routerFields,
      ...guards,
      kind: "router",
      vote: "regression",
      weights: { t: 1 },
    };
    const kafka: Required<KafkaTrigger> = {
      kind: "kafka",
      brokers: ["k:9092"],
      topics: ["t"],
      group: "g",
      output: { topic: "o" },
      dlq: { topic: "d", maxAttempts: 2 },
      client: "platformatic",
    };
    const nats: Required<NatsTrigger> = {
      kind: "nats",
      url: "nats://n",
      subject: "s",
      queue: "q",
      jetstream: { stream: "S", durable: "d", maxDeliver: 2 },
      output: { subject: "o" },
    };
    const cron: Required<Omit<CronTrigger, "interval">> = {
      kind: "cron",
      schedule: "* * * * *",
      event: { body: {}, headers: { a: "b" } },
    };
    const spec: Required<GraphSpec> = {
      topology: "router",
      steps: { task, model, remote, queue, error, router },
      router: { ...noAfter, ...routerFields, vote: "classification", weights: {} },
      responder: "task",
      on_error: "error",
      triggers: [{ kind: "http" }, kafka, nats, cron, { kind: "cron", interval: "1m" }],
      monitoring: { stream: "nats://model.records", sample: 1, fields: ["outputs"], buffer: 1 },
    };
    const document: Required<GraphDocument> = {
      apiVersion: "sluice/v1",
      kind: "Graph",
      metadata: { name: "typed", labels: { a: "b" }, annotations: { c: "d" } },
      spec,
    };
    expect(validateDocument(document, "typed.json")).toEqual([]);
  });
});

describe("a task placed in Nuclio", () => {
  it("may leave out handler and class: its code runs in its function (sluice deploy writes such steps)", () => {
    const yaml = graph`
      steps:
        parse: {placement: nuclio, nuclio: {url: "http://nuclio-g-parse:8080/"}}
        models: {placement: nuclio, after: [parse], nuclio: {url: "http://nuclio-g-models:8080/{path}"}}
    `;
    expect(problemsOf(yaml)).toEqual([]);
  });
});

describe("each mistake gives one line at the right place", () => {
  it.each([
    {
      mistake: "an unknown field in a step",
      yaml: graph`
        steps:
          parse: {handler: ./s.mjs#parse, colour: red}
      `,
      expected: [problem("/spec/steps/parse/colour", 6, 'unknown field "colour"', "parse")],
    },
    {
      mistake: "a field of another step kind",
      yaml: graph`
        steps:
          parse:
            handler: ./s.mjs#parse
            url: http://x/y
      `,
      expected: [problem("/spec/steps/parse/url", 8, 'unknown field "url"', "parse")],
    },
    {
      mistake: "a misplaced field in a route",
      yaml: graph`
        steps:
          r:
            kind: router
            routes:
              a: {kind: model, class: ./m.mjs#A, stream: kafka://x}
      `,
      expected: [problem("/spec/steps/r/routes/a/stream", 9, 'unknown field "stream"', "r/a")],
    },
    {
      mistake: "an unknown field in metadata",
      yaml: `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: test, namespace: prod}\nspec: {steps: {}}\n`,
      expected: [problem("/metadata/namespace", 3, 'unknown field "namespace"')],
    },
    {
      mistake: "an unknown field in an http trigger",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: http, port: 8080}
      `,
      expected: [problem("/spec/triggers/0/port", 7, 'unknown field "port"')],
    },
    {
      mistake: "an unknown field in a dead-letter queue",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: kafka, brokers: [k:9092], topics: [t], group: g, dlq: {topic: d, retries: 3}}
      `,
      expected: [problem("/spec/triggers/0/dlq/retries", 7, 'unknown field "retries"')],
    },
    {
      mistake: "a misspelt trigger option",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: kafka, brokers: [k:9092], topics: [t], group: g, fromBegining: true}
          - {kind: nats, url: nats://n:4222, subject: s, jetstream: {stream: S, durable: d, ackwait: 5s}}
      `,
      expected: [
        problem("/spec/triggers/0/fromBegining", 7, 'unknown field "fromBegining"'),
        problem("/spec/triggers/1/jetstream/ackwait", 8, 'unknown field "ackwait"'),
      ],
    },
    {
      mistake: "a task without handler or class",
      yaml: graph`
        steps:
          parse: {after: [x]}
      `,
      expected: [problem("/spec/steps/parse", 6, 'missing required field "handler" or "class"', "parse")],
    },
    {
      mistake: "a task placed local without handler or class",
      yaml: graph`
        steps:
          parse: {placement: local}
      `,
      expected: [problem("/spec/steps/parse", 6, 'missing required field "handler" or "class"', "parse")],
    },
    {
      mistake: "a model with both handler and class",
      yaml: graph`
        steps:
          m: {kind: model, handler: ./m.mjs#f, class: ./m.mjs#M}
      `,
      expected: [problem("/spec/steps/m", 6, 'use "handler" or "class", not both', "m")],
    },
    {
      mistake: "a remote step without url",
      yaml: graph`
        steps:
          call: {kind: remote, retries: 2}
      `,
      expected: [problem("/spec/steps/call", 6, 'missing required field "url"', "call")],
    },
    {
      mistake: "a router without routes",
      yaml: graph`
        steps:
          r: {kind: router, type: switch}
      `,
      expected: [problem("/spec/steps/r", 6, 'missing required field "routes"', "r")],
    },
    {
      mistake: "a kafka trigger without group",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: kafka, brokers: [k:9092], topics: [t]}
      `,
      expected: [problem("/spec/triggers/0", 7, 'missing required field "group"')],
    },
    {
      mistake: "a nats trigger without subject",
      yaml: graph`
        steps: {}
        triggers:
          - kind: nats
            url: nats://n:4222
      `,
      expected: [problem("/spec/triggers/0", 7, 'missing required field "subject"')],
    },
    {
      mistake: "a cron trigger without schedule or interval",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: cron}
      `,
      expected: [problem("/spec/triggers/0", 7, 'missing required field "schedule" or "interval"')],
    },
    {
      mistake: "a trigger without kind",
      yaml: graph`
        steps: {}
        triggers:
          - {url: nats://n:4222, subject: s}
      `,
      expected: [problem("/spec/triggers/0", 7, 'missing required field "kind"')],
    },
    {
      mistake: "an unknown trigger kind",
      yaml: graph`
        steps: {}
        triggers:
          - {kind: rabbitmq, url: amqp://r}
      `,
      expected: [problem("/spec/triggers/0/kind", 7, '"rabbitmq" is not one of: http, kafka, nats, cron')],
    },
    {
      mistake: "an unknown step kind",
      yaml: graph`
        steps:
          f: {kind: lambda, handler: ./s.mjs#f}
      `,
      expected: [
        problem(
          "/spec/steps/f/kind",
          6,
          '"lambda" is not one of: task, router, model, remote, queue, error',
          "f",
        ),
      ],
    },
    {
      mistake: "a route of a kind routes cannot be",
      yaml: graph`
        steps:
          r:
            kind: router
            routes:
              q: {kind: queue, stream: kafka://x}
      `,
      expected: [
        problem("/spec/steps/r/routes/q/kind", 9, '"queue" is not one of: task, model, remote', "r/q"),
      ],
    },
    {
      mistake: "an unknown router type",
      yaml: graph`
        steps:
          r:
            kind: router
            type: roundrobin
            routes: {a: {handler: ./s.mjs#a}}
      `,
      expected: [
        problem(
          "/spec/steps/r/type",
          8,
          '"roundrobin" is not one of: model, switch, split, ensemble, parallel',
          "r",
        ),
      ],
    },
    {
      mistake: "a wrong apiVersion",
      yaml: `apiVersion: sluice/v2\nkind: Graph\nmetadata: {name: test}\nspec: {steps: {}}\n`,
      expected: [problem("/apiVersion", 1, 'must be sluice/v1, not "sluice/v2"')],
    },
    {
      mistake: "a name that is not a Kubernetes name",
      yaml: `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: Fraud_Graph}\nspec: {steps: {}}\n`,
      expected: [
        problem(
          "/metadata/name",
          3,
          "must be a Kubernetes-style name: lowercase letters, digits and '-', starting and ending with a letter or digit",
        ),
      ],
    },
    {
      mistake: "a name longer than 63 characters",
      yaml: `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: ${"a".repeat(64)}}\nspec: {steps: {}}\n`,
      expected: [problem("/metadata/name", 3, "must be at most 63 characters")],
    },
    {
      mistake: "a label that is not a string",
      yaml: `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: test, labels: {tier: [1]}}\nspec: {steps: {}}\n`,
      expected: [problem("/metadata/labels/tier", 3, "must be a string")],
    },
    {
      mistake: "a bad step name",
      yaml: graph`
        steps:
          -parse: {handler: ./s.mjs#parse}
      `,
      expected: [
        problem(
          "/spec/steps/-parse",
          6,
          "must be a step name: letters, digits, '_', '.', ':' and '-', not starting with '.', ':' or '-'",
          "-parse",
        ),
      ],
    },
    {
      mistake: "after given as a string",
      yaml: graph`
        steps:
          a: {handler: ./s.mjs#a}
          b: {handler: ./s.mjs#b, after: a}
      `,
      expected: [problem("/spec/steps/b/after", 7, "must be an array", "b")],
    },
    {
      mistake: "a zero timeout",
      yaml: graph`
        steps:
          a: {handler: ./s.mjs#a, timeout: 0}
      `,
      expected: [problem("/spec/steps/a/timeout", 6, "must be > 0", "a")],
    },
    {
      mistake: "a timeout without a unit",
      yaml: graph`
        steps:
          a: {handler: ./s.mjs#a, timeout: "250"}
      `,
      expected: [
        problem("/spec/steps/a/timeout", 6, "must be a duration such as 250ms, 2s, 1.5m or 1h", "a"),
      ],
    },
    {
      mistake: "a timeout that is neither number nor string",
      yaml: graph`
        steps:
          a: {handler: ./s.mjs#a, timeout: true}
      `,
      expected: [problem("/spec/steps/a/timeout", 6, "must be a number or a string", "a")],
    },
    {
      mistake: "a weight over 100",
      yaml: graph`
        steps:
          r:
            kind: router
            type: split
            routes:
              a: {handler: ./s.mjs#a, weight: 150}
      `,
      expected: [problem("/spec/steps/r/routes/a/weight", 10, "must be <= 100", "r/a")],
    },
    {
      mistake: "fractional retries, while the step's other fields stay known",
      yaml: graph`
        steps:
          call: {kind: remote, url: http://x/y, method: POST, retries: 1.5}
      `,
      expected: [problem("/spec/steps/call/retries", 6, "must be an integer", "call")],
    },
    {
      mistake: "a remote url that is not http",
      yaml: graph`
        steps:
          call: {kind: remote, url: ftp://x/y}
      `,
      expected: [problem("/spec/steps/call/url", 6, "must be an http:// or https:// URL", "call")],
    },
    {
      mistake: "a queue stream of an unknown broker",
      yaml: graph`
        steps:
          q: {kind: queue, stream: redis://events}
      `,
      expected: [
        problem(
          "/spec/steps/q/stream",
          6,
          "must be kafka://<topic> or nats://<subject>, a Kafka topic being letters, digits, '.', '_' and '-' (at most 249)",
          "q",
        ),
      ],
    },
    {
      mistake: "an empty step",
      yaml: graph`
        steps:
          parse:
      `,
      expected: [problem("/spec/steps/parse", 6, "must be an object", "parse")],
    },
    {
      mistake: "batching on a task step",
      yaml: graph`
        steps:
          t: {handler: ./s.mjs#t, batching: {max_batch_size: 8, max_batch_time: 2ms}}
      `,
      expected: [problem("/spec/steps/t/batching", 6, 'unknown field "batching"', "t")],
    },
    {
      mistake: "batching without its time limit",
      yaml: graph`
        steps:
          m: {kind: model, class: ./m.mjs#M, batching: {max_batch_size: 8}}
      `,
      expected: [problem("/spec/steps/m/batching", 6, 'missing required field "max_batch_time"', "m")],
    },
    {
      mistake: "a batch size of 0 and a time that is not a duration",
      yaml: graph`
        steps:
          m:
            kind: model
            class: ./m.mjs#M
            batching: {max_batch_size: 0, max_batch_time: soon}
      `,
      expected: [
        problem("/spec/steps/m/batching/max_batch_size", 9, "must be >= 1", "m"),
        problem(
          "/spec/steps/m/batching/max_batch_time",
          9,
          "must be a duration such as 250ms, 2s, 1.5m or 1h",
          "m",
        ),
      ],
    },
    {
      mistake: "an unknown field in a model route's batching",
      yaml: graph`
        steps:
          r:
            kind: router
            routes:
              a: {kind: model, class: ./m.mjs#A, batching: {max_batch_size: 4, max_batch_time: 1ms, preferred: 2}}
      `,
      expected: [problem("/spec/steps/r/routes/a/batching/preferred", 9, 'unknown field "preferred"', "r/a")],
    },
    {
      mistake: "a router topology without a router",
      yaml: graph`
        topology: router
        steps: {}
      `,
      expected: [problem("/spec", 4, 'missing required field "router"')],
    },
    {
      mistake: "a router with no routes in it",
      yaml: graph`
        topology: router
        router: {type: model, routes: {}}
      `,
      expected: [problem("/spec/router/routes", 6, "must not be empty")],
    },
  ])("reports $mistake", ({ yaml, expected }) => {
    expect(problemsOf(yaml)).toEqual(expected);
  });

  it("reports every mistake in document order", () => {
    const yaml = graph`
      steps:
        a: {handler: ./s.mjs#a, colour: red}
        b: {kind: remote}
      triggers:
        - {kind: cron, interval: soon}
    `;
    expect(problemsOf(yaml).map((p) => `${p.line}: ${p.pointer}: ${p.message}`)).toEqual([
      '6: /spec/steps/a/colour: unknown field "colour"',
      '7: /spec/steps/b: missing required field "url"',
      "9: /spec/triggers/0/interval: must be a duration such as 250ms, 2s, 1.5m or 1h",
    ]);
  });

  it("reports without lines when no lineOf is given", () => {
    const raw = {
      apiVersion: "sluice/v1",
      kind: "Graph",
      metadata: { name: "x" },
      spec: { steps: { a: {} } },
    };
    expect(validateDocument(raw, "api")).toEqual([
      {
        file: "api",
        pointer: "/spec/steps/a",
        step: "a",
        message: 'missing required field "handler" or "class"',
      },
    ]);
  });

  it("reports a document that is not an object in one line", () => {
    expect(validateDocument("hello", "graph.yaml")).toEqual([
      { file: "graph.yaml", pointer: "", message: "must be an object" },
    ]);
  });
});

describe("the schema for editors and docs", () => {
  it("is JSON Schema draft 2020-12", () => {
    expect(graphSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("describes every field", () => {
    const defs = graphSchema.$defs as Record<string, Record<string, unknown>>;
    const undescribed: string[] = [];
    const visit = (schema: unknown, path: string): void => {
      if (typeof schema !== "object" || schema === null) return;
      const node = schema as Record<string, unknown>;
      for (const [name, field] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        const target = typeof field.$ref === "string" ? defs[field.$ref.replace("#/$defs/", "")] : undefined;
        if (field.description === undefined && target?.description === undefined)
          undescribed.push(`${path}/${name}`);
        visit(field, `${path}/${name}`);
      }
    };
    visit(graphSchema, "#");
    for (const [name, def] of Object.entries(defs)) visit(def, `#/$defs/${name}`);
    expect(undescribed).toEqual([]);
  });

  it("has a readable message for every pattern", () => {
    const patterns = new Set<string>();
    JSON.stringify(graphSchema, (key, value) => {
      if (key === "pattern") patterns.add(value as string);
      return value;
    });
    expect([...patterns].filter((p) => patternMessages[p] === undefined)).toEqual([]);
  });
});

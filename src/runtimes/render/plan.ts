import {
  type CronTrigger,
  type GraphDocument,
  GraphInvalidError,
  nuclioUrl,
  type PlannedStep,
  parseDuration,
  planTopology,
  type QueueStep,
  type Topology,
} from "../../graph/index.js";
import { resolveStream, type StreamTarget } from "../../triggers/index.js";
import { movesToNuclio } from "../nuclio/index.js";
import { deployInvalid, stepField } from "./deploy-error.js";

/** A queue step whose segment is consumed by a deployed function's trigger. */
export interface QueueInput {
  step: string;
  target: StreamTarget;
  /** The consumer group (Kafka) or queue group (NATS): `<graph>-<step>`, as `sluice serve` names it. */
  group: string;
}

/** One deployed function: the steps that share a `function:` name (default: one step). */
export interface FunctionGroup {
  /** The group's name as the document writes it (the `SLUICE_FUNCTION` the entry runs). */
  name: string;
  /** `<graph>-<function>` made a DNS-1123 label: the NuclioFunction's name. */
  objectName: string;
  /** The lowercase label part of `name`, for the `sluice.io/function` label. */
  label: string;
  /** Where Nuclio's Service answers for it (`nuclioUrl`). */
  url: string;
  /** Its steps, in the graph's topological order. */
  steps: PlannedStep[];
  /** The longest of its steps' timeouts, in ms. */
  timeoutMs: number | undefined;
  /** The most events any of its steps runs at once (`maxConcurrency`), for the workers. */
  concurrency: number | undefined;
  /** Queues whose segments start in this function: it consumes them. */
  queues: QueueInput[];
  /** The graph's cron triggers: they fire the function holding the graph's first step. */
  crons: CronTrigger[];
}

/** What a graph becomes once deployed: its functions, and the steps left to the gateway. */
export interface DeployPlan {
  document: GraphDocument;
  /** The graph file (module paths resolve relative to it). */
  file: string;
  graph: string;
  topology: Topology;
  groups: FunctionGroup[];
  /** Which group each deployed step belongs to. */
  groupOf: ReadonlyMap<string, FunctionGroup>;
  /** Queue steps consumed by a function (the gateway only writes to them). */
  deployedQueues: ReadonlySet<string>;
}

/** The longest name whose Service `nuclio-<name>` is still a DNS-1123 label (63). */
const maxFunctionName = 63 - "nuclio-".length;

/**
 * Decides how a schema-valid graph is deployed: task steps run in Nuclio functions grouped by
 * `function:`; routers and models (the gateway serves the OIP endpoints from them), remote
 * steps, error handlers and steps written `placement: local` stay in the gateway; queue steps
 * are streams. The rule is the Nuclio entry's (`movesToNuclio`). With `gatewayOnly` nothing
 * moves: the gateway runs every step, as `sluice serve` does, and consumes every queue. Refuses,
 * before anything is rendered, what cannot be deployed (one line naming the step and field).
 */
export function planDeployment(
  document: GraphDocument,
  file: string,
  options: { gatewayOnly?: boolean } = {},
): DeployPlan {
  const { topology, problems } = planTopology(document, file);
  if (problems.length > 0) throw new GraphInvalidError(problems);
  const graph = document.metadata.name;
  if (options.gatewayOnly) {
    checkGatewayQueues(topology, document);
    checkTriggerBrokers(document);
    return { document, file, graph, topology, groups: [], groupOf: new Map(), deployedQueues: new Set() };
  }
  const groups = new Map<string, FunctionGroup>();
  const byObjectName = new Map<string, string>();
  const groupOf = new Map<string, FunctionGroup>();
  for (const step of topology.order) {
    if (!isDeployed(step)) continue;
    const name = step.spec.function ?? step.name;
    let group = groups.get(name);
    if (!group) {
      group = newGroup(graph, name, step);
      const clash = byObjectName.get(group.objectName);
      if (clash !== undefined) {
        throw deployInvalid(
          stepField(step.name, step.spec.function === undefined ? undefined : "function"),
          `its function "${name}" and the function "${clash}" both become "${group.objectName}" as Kubernetes names`,
          "rename one of them, or give both steps the same `function:`",
        );
      }
      byObjectName.set(group.objectName, name);
      groups.set(name, group);
    }
    group.steps.push(step);
    groupOf.set(step.name, group);
    const timeout = step.spec.timeout === undefined ? undefined : parseDuration(step.spec.timeout);
    if (timeout !== undefined) group.timeoutMs = Math.max(group.timeoutMs ?? 0, timeout);
    const concurrency = (step.spec as { maxConcurrency?: number }).maxConcurrency;
    if (concurrency !== undefined) group.concurrency = Math.max(group.concurrency ?? 0, concurrency);
  }
  const deployedQueues = new Set<string>();
  for (const step of topology.order) {
    if (step.kind !== "queue") continue;
    const target = brokerOf(step, document);
    const first = (topology.downstream.get(step.name) ?? []).map((d) => groupOf.get(d)).find((g) => g);
    // Behind the queue only gateway steps: the gateway consumes the stream, as `serve` does.
    if (!first) continue;
    first.queues.push({
      step: step.name,
      target,
      group: `${graph}-${step.name}`.replace(/[^A-Za-z0-9_-]/g, "_"),
    });
    deployedQueues.add(step.name);
  }
  checkTriggerBrokers(document);
  const crons = (document.spec.triggers ?? []).filter((t): t is CronTrigger => t.kind === "cron");
  const root = topology.order.find((s) => s.after.length === 0);
  const rootGroup = root && groupOf.get(root.name);
  // A cron fires the function holding the graph's first step; when the gateway runs that
  // step, the cron stays with the gateway, as under `sluice serve`.
  if (rootGroup) rootGroup.crons.push(...crons);
  return { document, file, graph, topology, groups: [...groups.values()], groupOf, deployedQueues };
}

/** The Nuclio entry's rule (movesToNuclio), so the renderer and the entry agree on every step. */
function isDeployed(step: PlannedStep): boolean {
  return step.kind === "task" && movesToNuclio(step.spec);
}

function newGroup(graph: string, name: string, step: PlannedStep): FunctionGroup {
  const label = name.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const objectName = `${graph}-${label}`;
  const field = step.spec.function === undefined ? undefined : "function";
  if (objectName.length > maxFunctionName) {
    throw deployInvalid(
      stepField(step.name, field),
      `the function name "${objectName}" is longer than ${maxFunctionName} characters (Nuclio's Service "nuclio-${objectName}" must fit in 63)`,
      "give the step a shorter `function:` name",
    );
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(label)) {
    throw deployInvalid(
      stepField(step.name, field),
      `"${name}" does not make a Kubernetes name ("${objectName}" must start and end with a letter or digit)`,
      "give the step a `function:` name of letters, digits and '-'",
    );
  }
  return {
    name,
    objectName,
    label,
    url: nuclioUrl(graph, name),
    steps: [],
    timeoutMs: undefined,
    concurrency: undefined,
    queues: [],
    crons: [],
  };
}

const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0)(:\d+)?$/i;

/**
 * The broker a queue step's stream lives on, as the cluster will reach it: the document
 * must name it (a Kafka or NATS trigger, or the stream URL); the deploying machine's
 * environment and loopback addresses do not reach into the cluster.
 */
function brokerOf(step: PlannedStep, document: GraphDocument, nuclioTrigger = true): StreamTarget {
  const stream = (step.spec as QueueStep).stream;
  const where = stepField(step.name, "stream");
  if (stream === undefined) {
    throw deployInvalid(
      where,
      "a queue without a stream is in-process, which a deployed graph cannot have: its steps run in other pods",
      "write stream: kafka://<broker:port>/<topic> (or nats://<host:port>/<subject>) with an address the cluster reaches",
    );
  }
  const target = resolveStream(stream, document, {});
  if (!target) {
    throw deployInvalid(
      where,
      `"${stream}" names no broker, and the graph has no ${stream.split(":")[0]} trigger to take it from`,
      "write the broker in the URL, e.g. kafka://kafka.kafka.svc:9092/topic",
    );
  }
  const hosts = target.kind === "kafka" ? target.brokers : [new URL(target.url).host];
  const local = hosts.find((h) => loopback.test(h));
  if (local !== undefined) {
    throw deployInvalid(
      where,
      `the broker ${local} is a loopback address, which inside the cluster is the pod itself`,
      "use an address the cluster reaches, e.g. kafka.kafka.svc:9092",
    );
  }
  // Nuclio's kafka-cluster trigger is rendered without credentials; the gateway's own client has them.
  if (nuclioTrigger && target.kind === "kafka" && (target.sasl !== undefined || target.ssl !== undefined)) {
    throw deployInvalid(
      where,
      "deploying a queue on a Kafka cluster with SASL or TLS settings is not supported yet",
      "use a queue on a cluster without SASL/TLS, or serve the graph with `sluice serve`",
    );
  }
  return target;
}

/**
 * Queues the gateway consumes itself: an in-process one (no stream) stays inside each pod, as
 * under `sluice serve`; a stream's broker must be one the pods reach.
 */
function checkGatewayQueues(topology: Topology, document: GraphDocument): void {
  for (const step of topology.order) {
    if (step.kind === "queue" && (step.spec as QueueStep).stream !== undefined)
      brokerOf(step, document, false);
  }
}

/** The graph's Kafka and NATS triggers run in the gateway's pods: their brokers must not be loopback. */
function checkTriggerBrokers(document: GraphDocument): void {
  for (const [i, trigger] of (document.spec.triggers ?? []).entries()) {
    const hosts =
      trigger.kind === "kafka"
        ? trigger.brokers.map((b) => ({ host: b, field: "brokers" }))
        : trigger.kind === "nats"
          ? [{ host: new URL(trigger.url).host, field: "url" }]
          : [];
    const local = hosts.find(({ host }) => loopback.test(host));
    if (local !== undefined) {
      throw deployInvalid(
        `spec.triggers[${i}] (${trigger.kind}), field ${local.field}`,
        `the broker ${local.host} is a loopback address, which inside the cluster is the gateway's pod itself`,
        "use an address the cluster reaches, e.g. kafka.kafka.svc:9092",
      );
    }
  }
}

/**
 * sluice's Nuclio entry: the handler module Nuclio's Node.js runtime loads for every function
 * `sluice deploy` renders (runtime `nodejs`, handler `entry.cjs:handler`).
 *
 * Environment: SLUICE_GRAPH (absolute path of the graph document, mounted with its step
 * modules at their relative paths), SLUICE_FUNCTION (the function group to run, see
 * `functionGroups`), SLUICE_EVENT_TIMEOUT (optional, a duration; default 60s: answer 504 by
 * then, set below the function's `eventTimeout` so the entry answers before Nuclio gives up).
 *
 * Packaging: Nuclio's wrapper `require`s the handler file, and Node 20 cannot `require` an ES
 * module, so the handler file is `dist/runtimes/nuclio/entry.cjs` (from entry.cts): a CommonJS
 * shim that `import()`s this module and hands each event on once it has loaded.
 *
 * Events: an HTTP call runs the step named by `x-sluice-step` (the function's only step when
 * the header is absent) on the body, answering as src/graph/step-answer.ts says; a Kafka,
 * NATS or cron event runs the segment behind the queue step reading its topic, else the graph
 * from its roots. Whatever happens (a throw, a rejection, a non-Error, a step that never
 * settles), `context.callback` is called exactly once: the wrapper awaits no promise of ours,
 * and an unhandled rejection would end the worker's process.
 */
import { SluiceError } from "../../errors.js";
import { parseDuration, toStepError } from "../../graph/index.js";
import { type Answer, answerOf, failureAnswer, responseOf } from "./answer.js";
import { bodyOf, graphEventOf, headersOf, streamKinds } from "./event-in.js";
import { FunctionHost } from "./function-host.js";
import { nuclioLogger } from "./logger.js";
import type { NuclioContext, NuclioEvent } from "./nuclio-api.js";

let host: Promise<FunctionHost> | undefined;

const defaultTimeoutMs = 60_000;

/** For a failure that cannot even be described (a thrown value whose toString throws). */
const lastResort: Answer = {
  status: 500,
  contentType: "application/json",
  headers: {},
  body: JSON.stringify({ error: "the step failed with a value that cannot be shown" }),
  base64: false,
};

/** Called once per process by the wrapper: loads the graph and compiles the function's steps. */
export function initContext(context: NuclioContext): Promise<void> {
  return opened(context).then(
    (h) =>
      context.logger.info(`sluice: function "${h.name}" of graph "${h.graphName}" ready`, {
        steps: [...h.steps.keys()],
      }),
    () => {}, // said once by opened(); every event answers the same failure
  );
}

function opened(context: NuclioContext): Promise<FunctionHost> {
  if (host === undefined) {
    host = FunctionHost.open(
      process.env.SLUICE_GRAPH,
      process.env.SLUICE_FUNCTION,
      nuclioLogger(context.logger),
    );
    host.catch((error: unknown) =>
      context.logger.error(`sluice: the function cannot run: ${messageOf(error)}`),
    );
  }
  return host;
}

/** Called by the wrapper for each event; never throws, never rejects, answers once. */
export function handler(context: NuclioContext, event: NuclioEvent): void {
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  const reply = (answer: Answer) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    try {
      context.callback(responseOf(context, answer));
    } catch (error) {
      context.logger.error(`sluice: callback failed: ${messageOf(error)}`);
    }
  };
  try {
    const headers = headersOf(event);
    const step = headers["x-sluice-step"];
    const ms = deadlineOf(headers["x-request-timeout"]);
    // A step that never settles still gets its event answered: a 504, as the gateway says it.
    timer = setTimeout(() => {
      const late = new SluiceError("SLUICE_ERR_STEP_TIMEOUT", `no answer within ${ms} ms`);
      reply(failureAnswer(step === undefined ? late : toStepError(step, late)));
    }, ms);
    opened(context)
      .then((h) => run(h, event, headers))
      .then(
        (value) => reply(answerOf(value)),
        (error: unknown) => reply(failureAnswer(error)),
      )
      .catch(() => reply(lastResort));
  } catch (error) {
    try {
      reply(failureAnswer(error));
    } catch {
      reply(lastResort);
    }
  }
}

/** Runs the event on the function: a call runs one step, a stream message a segment. */
async function run(
  h: FunctionHost,
  event: NuclioEvent,
  headers: Record<string, string | undefined>,
): Promise<unknown> {
  const kind = event.trigger?.kind ?? "http";
  const contentType = event.content_type || headers["content-type"];
  if (streamKinds.has(kind)) {
    const graphEvent = graphEventOf(event, bodyOf(event, contentType, true));
    return h.runStream(graphEvent, kind === "cron" ? undefined : event.topic);
  }
  const name = headers["x-sluice-step"] ?? (h.steps.size === 1 ? [...h.steps.keys()][0] : undefined);
  const step = name === undefined ? undefined : h.steps.get(name);
  if (name === undefined || step === undefined) {
    const which = name === undefined ? "the call names no step (x-sluice-step)" : `no step "${name}" here`;
    throw new SluiceError(
      "SLUICE_ERR_NUCLIO_UNKNOWN_STEP",
      `${which}: function "${h.name}" of graph "${h.graphName}" runs ${[...h.steps.keys()].join(", ")}`,
    );
  }
  const input = bodyOf(event, contentType, false);
  try {
    const output = await step.run(input, graphEventOf(event, input));
    // A full_event step that hands back the event it got answers with its body, as in-process.
    if (step.fullEvent && output === input && input !== null && typeof input === "object")
      return (input as { body?: unknown }).body;
    return output;
  } catch (error) {
    throw toStepError(name, error);
  }
}

/** The event's deadline: what the caller has left (`x-request-timeout`), at most the default. */
function deadlineOf(header: string | undefined): number {
  const configured = parseDuration(process.env.SLUICE_EVENT_TIMEOUT ?? "") ?? defaultTimeoutMs;
  const asked = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(asked) && asked > 0 ? Math.min(asked, configured) : configured;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

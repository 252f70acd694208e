import { SluiceError } from "../../../errors.js";
import { paramsEnv } from "../../run/params.js";
import { type AnyFunctionDocument, defaultProject, type EnvVar, type KubernetesSpec } from "../../types.js";
import { type KubeObject, labels, type RenderOptions } from "../objects.js";

/** What `sluice run` hands the batch renderers besides the function: this run's identity and inputs. */
export interface BatchRunInput {
  /** The run's id (lowercase letters and digits, at least 8); its first 8 characters name the objects. */
  uid: string;
  /** The run's parameters, as `--param K=V` parsed them. */
  params: Record<string, unknown>;
  /**
   * The function's code when it is not in the image: a file beside the function document that
   * the caller has read (e.g. `./score.mjs` of hub://batch-score). It is shipped in a ConfigMap
   * and mounted at {@link codeDir}. Code embedded in the document (`spec.build.functionSourceCode`)
   * is used without this.
   */
  code?: { name: string; content: string };
  /** How long the run may take, in seconds (`--timeout`); refused by kinds that have no deadline. */
  timeoutSeconds?: number;
  /** How long finished objects are kept, in seconds; set where the kind supports it (see docs). */
  ttlSecondsAfterFinished?: number;
}

/** The project label; beside the shared ones of objects.ts. */
export const projectLabel = "sluice.io/project";

/** Where shipped code is mounted in every container that runs it. */
export const codeDir = "/sluice/code";

/** Env names sluice sets for each run; a function may not set them itself. */
export const reservedEnv = ["SLUICE_RUN_UID", "SLUICE_PARAMS", "SLUICE_RESULTS_FILE"];

/**
 * Where a script writes its results (JSON), as under `--local`. On a cluster it is the
 * container's termination message file, so the kubelet copies the results (up to 4 KiB) into
 * the pod's status, where `sluice run` reads them back without any storage of its own.
 */
export const resultsFile = "/dev/termination-log";

/** One refusal: `function NAME (KIND): /spec/FIELD: message`, with code SLUICE_ERR_RENDER_INVALID. */
export function renderError(
  fn: AnyFunctionDocument,
  field: string,
  message: string,
  hint?: string,
): SluiceError {
  const at = field.startsWith("/") ? field : `/spec/${field}`;
  return new SluiceError(
    "SLUICE_ERR_RENDER_INVALID",
    `function ${fn.metadata.name} (${fn.kind}): ${at}: ${message}`,
    hint === undefined ? {} : { hint },
  );
}

const uidPattern = /^[a-z0-9]{8}([-a-z0-9]*[a-z0-9])?$/;

/** How a kind's object may be named. */
export interface NameRule {
  maxLength: number;
  /** The operator names a Service after the object, and Service names (DNS-1035) start with a letter. */
  namesService: boolean;
}

/**
 * `<function>-<uid first 8>`, a DNS-1123 label within the kind's rule: the function part is
 * shortened when needed (operators append their own suffixes to the names of CRDs).
 */
export function runObjectName(fn: AnyFunctionDocument, uid: string, rule: NameRule): string {
  if (!uidPattern.test(uid) || uid.length > 63) {
    throw new SluiceError(
      "SLUICE_ERR_RENDER_INVALID",
      `run uid "${uid}" must be at least 8 lowercase letters or digits (a label value of at most 63 characters)`,
    );
  }
  if (rule.namesService && !/^[a-z]/.test(fn.metadata.name)) {
    throw renderError(
      fn,
      "/metadata/name",
      `the ${fn.kind} operator names a Service after the run, and a Service name must start with a letter`,
    );
  }
  const base = fn.metadata.name.slice(0, rule.maxLength - 9).replace(/-+$/, "");
  return `${base}-${uid.slice(0, 8)}`;
}

/** The labels of every object and pod of a run: the function's own, then sluice's (which win). */
export function runLabels(fn: AnyFunctionDocument, uid: string): Record<string, string> {
  return {
    ...fn.metadata.labels,
    [labels.function]: fn.metadata.name,
    [labels.run]: uid,
    [projectLabel]: fn.metadata.project ?? defaultProject,
  };
}

/**
 * The container env of a run: the function's env as written (Secret and ConfigMap references
 * stay references: sluice never reads their values), then what the local runner sets:
 * SLUICE_RUN_UID, SLUICE_PARAMS (all params as JSON) and SLUICE_PARAM_<NAME> per scalar.
 */
export function runEnv(fn: AnyFunctionDocument, run: BatchRunInput, withResults = true): EnvVar[] {
  const own = (fn.spec as KubernetesSpec).env ?? [];
  own.forEach((entry, i) => {
    if (reservedEnv.includes(entry.name) || entry.name.startsWith("SLUICE_PARAM_")) {
      throw renderError(fn, `env/${i}/name`, `${entry.name} is set by sluice for each run`);
    }
  });
  const sluice: EnvVar[] = [{ name: "SLUICE_RUN_UID", value: run.uid }];
  for (const [name, value] of Object.entries(paramsEnv(run.params))) sluice.push({ name, value });
  if (withResults) sluice.push({ name: "SLUICE_RESULTS_FILE", value: resultsFile });
  return [...own.map((entry) => structuredClone(entry)), ...sluice];
}

/** Everything a kind's renderer needs, worked out once by renderBatch. */
export interface BatchContext {
  fn: AnyFunctionDocument;
  spec: KubernetesSpec;
  run: BatchRunInput;
  options: RenderOptions;
  /** The workload's name (and the prefix of its companions'). */
  name: string;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string> | undefined;
}

/** The object metadata of a run's object. */
export function runMetadata(context: BatchContext, name = context.name): KubeObject["metadata"] {
  return {
    name,
    namespace: context.options.namespace,
    labels: { ...context.labels },
    ...(context.annotations ? { annotations: { ...context.annotations } } : {}),
  };
}

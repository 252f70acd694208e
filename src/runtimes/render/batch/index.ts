/**
 * src/runtimes/render/batch: batch functions (`sluice run`) as Kubernetes objects. One entry,
 * {@link renderBatch}; each kind has its module, and pod.ts holds the pod part they share.
 * docs/batch-rendering.md says what each function field becomes.
 */
import type { AnyFunctionDocument, FunctionKind, KubernetesSpec } from "../../types.js";
import { type KubeObject, type RenderOptions, stamped } from "../objects.js";
import {
  type BatchContext,
  type BatchRunInput,
  type NameRule,
  renderError,
  runLabels,
  runObjectName,
} from "./context.js";
import { renderDask } from "./dask.js";
import { renderJob } from "./job.js";
import { renderMpiJob } from "./mpijob.js";
import { renderRemoteSpark } from "./remote-spark.js";
import { renderSpark } from "./spark.js";

export {
  type BatchRunInput,
  codeDir,
  projectLabel,
  reservedEnv,
  resultsFile,
} from "./context.js";
export { mainContainer } from "./job.js";
export { codeVolumeName } from "./program.js";

type BatchKind = "job" | "dask" | "mpijob" | "spark" | "remote-spark";

const renderers: Record<BatchKind, (context: BatchContext) => KubeObject[]> = {
  job: renderJob,
  "remote-spark": renderRemoteSpark,
  dask: renderDask,
  mpijob: renderMpiJob,
  spark: renderSpark,
};

/**
 * How each kind's object may be named: a Job's name goes into its pods' labels (63); the
 * operators append suffixes to theirs (`-scheduler`, `-launcher`, `-driver`, `-worker-N`) and
 * name Services after them (`<name>-scheduler`, `<name>`, `<name>-ui-svc`).
 */
const nameRules: Record<BatchKind, NameRule> = {
  job: { maxLength: 63, namesService: false },
  "remote-spark": { maxLength: 63, namesService: false },
  dask: { maxLength: 42, namesService: true },
  mpijob: { maxLength: 42, namesService: true },
  spark: { maxLength: 42, namesService: true },
};

/** The kinds `sluice run` sends to Kubernetes. */
export const batchKinds: readonly FunctionKind[] = Object.keys(renderers) as BatchKind[];

function isBatchKind(kind: FunctionKind): kind is BatchKind {
  return Object.hasOwn(renderers, kind);
}

/**
 * The Kubernetes objects of one run of a batch function, in apply order (a code ConfigMap
 * first when the code is shipped, then the workload), each stamped with its content hash.
 * Pure: the same function, run and options give the same objects.
 *
 * Params reach the containers as SLUICE_PARAMS (JSON) and SLUICE_PARAM_<NAME> env, as under
 * `--local`; Spark applications also get them as a last JSON argument.
 * @throws SluiceError SLUICE_ERR_RENDER_INVALID naming the field that cannot be rendered.
 */
export function renderBatch(
  fn: AnyFunctionDocument,
  run: BatchRunInput,
  options: RenderOptions,
): KubeObject[] {
  const kind = fn.kind;
  if (!isBatchKind(kind)) {
    const how =
      kind === "handler" || kind === "local"
        ? "it runs on this machine: use sluice run --local"
        : "it is deployed, not run: use sluice deploy";
    throw renderError(fn, "/kind", `a ${kind} function is not a batch function; ${how}`);
  }
  const spec = fn.spec as KubernetesSpec;
  const context: BatchContext = {
    fn,
    spec,
    run,
    options,
    name: runObjectName(fn, run.uid, nameRules[kind]),
    image: imageOf(fn, spec, options),
    labels: runLabels(fn, run.uid),
    annotations:
      fn.metadata.annotations && Object.keys(fn.metadata.annotations).length > 0
        ? { ...fn.metadata.annotations }
        : undefined,
  };
  return renderers[kind](context).map((object) => stamped(object));
}

/**
 * `--image` first, then the function's image, then the image its build produced. sluice does
 * not build images: build instructions without an image to run are refused.
 */
function imageOf(fn: AnyFunctionDocument, spec: KubernetesSpec, options: RenderOptions): string {
  const useDefault = (spec as { use_default_image?: boolean }).use_default_image === true;
  const image = options.image ?? (useDefault ? undefined : (spec.image ?? spec.build?.image));
  if (image) return image;
  if (useDefault) {
    throw renderError(fn, "use_default_image", "sluice has no default Spark image", "pass --image");
  }
  const build = spec.build;
  if (build?.commands?.length || build?.requirements?.length || build?.base_image) {
    throw renderError(
      fn,
      "build",
      "asks for an image to be built, and sluice does not build images",
      "build it (docker build, kaniko) and set spec.image",
    );
  }
  throw renderError(fn, "image", "is required to run on Kubernetes", "set spec.image or pass --image");
}

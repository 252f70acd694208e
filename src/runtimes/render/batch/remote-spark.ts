import type { RemoteSparkSpec } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, renderError } from "./context.js";
import { jobObjects } from "./job.js";
import { programOf } from "./program.js";
import { paramsArgument, submitConfFlags, submitDepsFlags } from "./spark-deps.js";

/**
 * `remote-spark` → a Job whose pod runs `spark-submit --master <spark_master>` (client mode:
 * the pod is the driver) with the main class, deps and conf, then the application file, the
 * function's args and the params as a last JSON argument. The image must have spark-submit.
 */
export function renderRemoteSpark(context: BatchContext): KubeObject[] {
  const { fn } = context;
  const spec = context.spec as RemoteSparkSpec;
  if (spec.spark_master === undefined) {
    throw renderError(
      fn,
      "spark_master",
      `the ${spec.provider ?? "provider"}'s Spark master is not known to sluice`,
      "set spec.spark_master (spark://host:7077, k8s://https://..., yarn)",
    );
  }
  const program = programOf(context, true);
  if (program.file === undefined) {
    throw renderError(fn, "command", "is required: the application file (.py, .jar or .R) spark-submit runs");
  }
  const submit = [
    "--master",
    spec.spark_master,
    "--name",
    context.name,
    ...(spec.main_class ? ["--class", spec.main_class] : []),
    ...submitDepsFlags(spec.deps),
    ...submitConfFlags(spec.spark_conf),
    program.file,
    ...(spec.args ?? []),
    ...paramsArgument(context.run.params),
  ];
  return jobObjects(context, { ...program, argv: ["spark-submit"] }, submit);
}

import type { SparkDeps } from "../../types.js";

/** Params as the application's last argument (JSON), only when there are any; JVM mains read argv. */
export function paramsArgument(params: Record<string, unknown>): string[] {
  return Object.keys(params).length > 0 ? [JSON.stringify(params)] : [];
}

const submitFlags: [keyof SparkDeps, string][] = [
  ["jars", "--jars"],
  ["files", "--files"],
  ["pyFiles", "--py-files"],
  ["packages", "--packages"],
  ["excludePackages", "--exclude-packages"],
  ["repositories", "--repositories"],
];

/** spark-submit's dependency flags, each list comma-joined as spark-submit wants it. */
export function submitDepsFlags(deps: SparkDeps | undefined): string[] {
  const flags: string[] = [];
  for (const [field, flag] of submitFlags) {
    const list = deps?.[field];
    if (list && list.length > 0) flags.push(flag, list.join(","));
  }
  return flags;
}

/** spark-submit's `--conf k=v` pairs, in key order so the same function renders the same argv. */
export function submitConfFlags(conf: Record<string, string> | undefined): string[] {
  return Object.keys(conf ?? {})
    .sort()
    .flatMap((key) => ["--conf", `${key}=${(conf as Record<string, string>)[key]}`]);
}

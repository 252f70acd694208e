import { extname } from "node:path";
import { pointer } from "../../graph/problems.js";
import { resourceProblems } from "../quantity.js";
import type { AnyFunctionDocument, EnvVar, ResourceRequirements, Volume, VolumeMount } from "../types.js";
import { volumeSources } from "./parts.js";

/** A problem found beyond the schema: where (a JSON pointer) and what. */
export interface Finding {
  pointer: string;
  message: string;
}

const resourceFields = [
  "resources",
  "driver_resources",
  "executor_resources",
  "scheduler_resources",
  "worker_resources",
  "launcher_resources",
] as const;

export const moduleExtensions = new Set([".mjs", ".js", ".cjs", ".ts", ".mts", ".cts"]);

/**
 * What JSON Schema cannot say: quantities and requests ≤ limits, duplicate names, mounts of
 * volumes that do not exist, one http trigger at most, ranges whose ends are swapped. Runs
 * on a document the schema accepted, so the shapes are known.
 */
export function semanticFindings(doc: AnyFunctionDocument): Finding[] {
  const found: Finding[] = [];
  const at = (...path: (string | number)[]) => pointer("spec", ...path);
  const spec = doc.spec as Record<string, unknown>;

  for (const field of resourceFields) {
    const block = spec[field] as ResourceRequirements | undefined;
    if (block === undefined) continue;
    const notation = doc.kind === "spark" && field !== "resources" ? "jvm" : "kubernetes";
    for (const p of resourceProblems(block, notation))
      found.push({ pointer: at(field, ...p.path), message: p.message });
  }

  duplicates((spec.env as EnvVar[] | undefined) ?? [], (e) => e.name, "env", "env var", found);

  const volumes = (spec.volumes as Volume[] | undefined) ?? [];
  volumes.forEach((volume, i) => {
    const sources = volumeSources.filter((s) => volume[s] !== undefined);
    if (sources.length !== 1) {
      found.push({
        pointer: at("volumes", i),
        message:
          sources.length === 0
            ? `volume "${volume.name}" has no source (one of: ${volumeSources.join(", ")})`
            : `volume "${volume.name}" has several sources (${sources.join(", ")}); give one`,
      });
    }
  });
  duplicates(volumes, (v) => v.name, "volumes", "volume", found);

  const mounts = (spec.volume_mounts as VolumeMount[] | undefined) ?? [];
  const names = new Set(volumes.map((v) => v.name));
  mounts.forEach((mount, i) => {
    if (!names.has(mount.name)) {
      const known = names.size > 0 ? ` (volumes: ${[...names].join(", ")})` : "";
      found.push({
        pointer: at("volume_mounts", i, "name"),
        message: `mounts volume "${mount.name}", which spec.volumes does not define${known}`,
      });
    }
  });
  duplicates(mounts, (m) => m.mountPath, "volume_mounts", "mount path", found, "mountPath");

  ordered(spec, "min_replicas", "max_replicas", found);
  if (doc.kind === "spark") {
    ordered(
      (doc.spec.dynamic_allocation ?? {}) as Record<string, unknown>,
      "minExecutors",
      "maxExecutors",
      found,
      ["dynamic_allocation"],
    );
    if ((doc.spec.job_type === "Scala" || doc.spec.job_type === "Java") && !doc.spec.main_class) {
      found.push({ pointer: at("job_type"), message: `a ${doc.spec.job_type} job needs spec.main_class` });
    }
  }

  if (doc.kind === "nuclio" || doc.kind === "serving") {
    const triggers = Object.entries(doc.spec.triggers ?? {});
    const http = triggers.filter(([, t]) => t.kind === "http").map(([name]) => name);
    if (http.length > 1) {
      found.push({
        pointer: at("triggers", http[1] as string),
        message: `Nuclio allows one http trigger; ${http.join(", ")} are all http`,
      });
    }
    for (const [key, t] of triggers) {
      if (t.name !== undefined && t.name !== key) {
        found.push({
          pointer: at("triggers", key, "name"),
          message: `must equal its key "${key}" (Nuclio's rule)`,
        });
      }
    }
  }

  if (doc.kind === "handler" && !moduleExtensions.has(extname(doc.spec.command).toLowerCase())) {
    found.push({
      pointer: at("command"),
      message: `a handler function runs a JavaScript or TypeScript module (.mjs, .js, .ts); to run "${doc.spec.command}" as a program, use kind local`,
    });
  }
  return found;
}

function duplicates<T>(
  list: T[],
  key: (item: T) => string,
  field: string,
  what: string,
  found: Finding[],
  keyField = "name",
): void {
  const first = new Map<string, number>();
  list.forEach((item, i) => {
    const k = key(item);
    const seen = first.get(k);
    if (seen === undefined) first.set(k, i);
    else {
      found.push({
        pointer: pointer("spec", field, i, keyField),
        message: `duplicate ${what} "${k}" (first at /spec/${field}/${seen})`,
      });
    }
  });
}

function ordered(
  block: Record<string, unknown>,
  low: string,
  high: string,
  found: Finding[],
  path: string[] = [],
): void {
  const min = block[low];
  const max = block[high];
  if (typeof min === "number" && typeof max === "number" && min > max) {
    found.push({
      pointer: pointer("spec", ...path, low),
      message: `${low} ${min} is more than ${high} ${max}`,
    });
  }
}

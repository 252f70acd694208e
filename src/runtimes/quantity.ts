import type { Quantity, ResourceRequirements } from "./types.js";

/**
 * Kubernetes quantities (k8s.io/apimachinery resource.Quantity): a non-negative decimal with
 * a binary (`Ki`..`Ei`), decimal (`n`, `u`, `m`, `k`..`E`) or exponent (`e3`) suffix. The
 * API server rejects anything else at deploy time; we reject it when the document is read.
 */
export const quantityPattern =
  "^\\+?(\\d+(\\.\\d*)?|\\.\\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\\d+)?$";
const quantityRegex = new RegExp(quantityPattern);

const multipliers: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores, bytes, devices); undefined if it is not one. */
export function parseQuantity(value: Quantity): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = quantityRegex.exec(value);
  if (!match) return undefined;
  const number = Number(match[1]);
  const suffix = match[3] ?? "";
  if (/^[eE][+-]?\d/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * (multipliers[suffix] ?? 1);
}

export function isQuantity(value: unknown): value is Quantity {
  return (typeof value === "string" || typeof value === "number") && parseQuantity(value) !== undefined;
}

const byteResources = new Set(["memory", "ephemeral-storage"]);

/**
 * Spark sizes its JVMs in Java's notation (`512m` is 512 MiB, `2g` 2 GiB; a bare number is
 * MiB), and MLRun passes a Spark function's driver and executor memory through unchanged,
 * so those two blocks are checked as JVM sizes, not Kubernetes quantities.
 */
export type MemoryNotation = "kubernetes" | "jvm";

export const jvmSizePattern = "^[0-9]+([kKmMgGtTpP][bB]?|[bB])?$";
const jvmUnits: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Bytes of a JVM size (`512m`, `2g`, `1024` MiB); undefined if it is not one. */
export function parseJvmSize(value: Quantity): number | undefined {
  const match = /^([0-9]+)([kmgtp]b?|b)?$/i.exec(String(value));
  if (!match) return undefined;
  const unit = (match[2] ?? "m").charAt(0).toLowerCase();
  return Number(match[1]) * (jvmUnits[unit] ?? 2 ** 20);
}

function amountOf(resource: string, value: Quantity, notation: MemoryNotation): number | undefined {
  return notation === "jvm" && resource === "memory" ? parseJvmSize(value) : parseQuantity(value);
}

/**
 * What is wrong with `value` as an amount of `resource`, in words a user can act on; undefined
 * when it is fine. Catches the classic slips: `2GB` (not a suffix), `500m` of memory (half a
 * byte), and fractions of a GPU (extended resources are whole devices).
 */
export function quantityProblem(
  resource: string,
  value: Quantity,
  notation: MemoryNotation = "kubernetes",
): string | undefined {
  if (notation === "jvm" && resource === "memory") {
    return parseJvmSize(value) === undefined
      ? `"${String(value)}" is not a Spark memory size: JVM notation, e.g. 512m or 2g`
      : undefined;
  }
  const parsed = parseQuantity(value);
  if (parsed === undefined) {
    const text = String(value);
    const bytes = /^(\d+(?:\.\d+)?)\s*([KMGTPE])B$/i.exec(text);
    if (bytes) {
      const n = bytes[1] as string;
      const unit = (bytes[2] as string).toUpperCase();
      const decimal = unit === "K" ? "k" : unit;
      return `"${text}" is not a Kubernetes quantity: write ${n}${unit}i (binary) or ${n}${decimal} (decimal)`;
    }
    if (typeof value === "number") return `${text} must not be negative`;
    return `"${text}" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 2Gi)`;
  }
  if (byteResources.has(resource) && typeof value === "string" && /[num]$/.test(value)) {
    return `${resource} "${value}" means ${parsed} bytes; did you mean ${value.slice(0, -1)}Mi?`;
  }
  if (resource.includes("/") && !Number.isInteger(parsed)) {
    return `${resource} counts whole devices, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** One problem in a resources block: where (relative to it) and what. */
export interface ResourceProblem {
  path: string[];
  message: string;
}

/**
 * Checks each amount, then that no request exceeds its limit (the API server refuses such a
 * pod) and that extended resources (GPUs) request exactly their limit, as Kubernetes demands.
 */
export function resourceProblems(
  resources: ResourceRequirements,
  notation: MemoryNotation = "kubernetes",
): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  for (const side of ["limits", "requests"] as const) {
    for (const [name, value] of Object.entries(resources[side] ?? {})) {
      const message = quantityProblem(name, value, notation);
      if (message) problems.push({ path: [side, name], message });
    }
  }
  if (problems.length > 0) return problems;
  for (const [name, requested] of Object.entries(resources.requests ?? {})) {
    const limit = resources.limits?.[name];
    if (limit === undefined) continue;
    const r = amountOf(name, requested, notation) as number;
    const l = amountOf(name, limit, notation) as number;
    if (name.includes("/") && r !== l) {
      problems.push({
        path: ["requests", name],
        message: `${name} must request exactly its limit (${String(limit)}), got ${String(requested)}`,
      });
    } else if (r > l) {
      problems.push({
        path: ["requests", name],
        message: `requests ${String(requested)} of ${name}, more than its limit ${String(limit)}`,
      });
    }
  }
  return problems;
}

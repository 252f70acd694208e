import type { ClusterObject } from "./client.js";

/** Where an object stands: still on its way, ready (or finished well), or failed with a reason. */
export type Readiness =
  | { state: "pending"; reason: string }
  | { state: "ready"; reason: string }
  | { state: "failed"; reason: string };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(object: ClusterObject): Condition[] {
  return (object.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
}

function condition(object: ClusterObject, type: string): Condition | undefined {
  return conditions(object).find((c) => c.type === type && c.status === "True");
}

function said(c: Condition | undefined, fallback: string): string {
  return [c?.reason, c?.message].filter(Boolean).join(": ") || fallback;
}

/** Nuclio's function states (pkg/functionconfig): ready, or one of the failure states, else building. */
function nuclioFunction(object: ClusterObject): Readiness {
  const status = (object.status ?? {}) as { state?: string; message?: string };
  const state = status.state ?? "";
  const message = status.message ? `: ${status.message}` : "";
  if (state === "ready") return { state: "ready", reason: "ready" };
  // "imported" means stored but never deployed: waiting on it would never end.
  if (state === "error" || state === "unhealthy" || state === "imported") {
    return { state: "failed", reason: `state ${state}${message}` };
  }
  return {
    state: "pending",
    reason: state ? `state ${state}${message}` : "waiting for Nuclio to build and deploy it",
  };
}

function deployment(object: ClusterObject): Readiness {
  const spec = (object.spec ?? {}) as { replicas?: number };
  const status = (object.status ?? {}) as {
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
  const failed = conditions(object).find((c) => c.type === "Progressing" && c.status === "False");
  if (failed) return { state: "failed", reason: said(failed, "not progressing") };
  const want = spec.replicas ?? 1;
  const current = (status.observedGeneration ?? 0) >= (object.metadata.generation ?? 0);
  if (
    current &&
    condition(object, "Available") &&
    (status.updatedReplicas ?? 0) >= want &&
    (status.availableReplicas ?? 0) >= want
  ) {
    return { state: "ready", reason: `${status.availableReplicas}/${want} available` };
  }
  return { state: "pending", reason: `${status.availableReplicas ?? 0}/${want} available` };
}

function job(object: ClusterObject): Readiness {
  const failed = condition(object, "Failed");
  if (failed) return { state: "failed", reason: said(failed, "failed") };
  if (condition(object, "Complete")) return { state: "ready", reason: "complete" };
  const status = (object.status ?? {}) as { active?: number; succeeded?: number; failed?: number };
  if (status.active) return { state: "pending", reason: `${status.active} pod(s) running` };
  // Between the pod's end and the Job's condition the controller is still deciding.
  if (status.succeeded || status.failed) {
    return { state: "pending", reason: "its pod finished; the Job is concluding" };
  }
  return { state: "pending", reason: "waiting for its pod" };
}

function daskJob(object: ClusterObject): Readiness {
  const state = (object.status as { jobStatus?: string } | undefined)?.jobStatus ?? "";
  if (state === "Successful") return { state: "ready", reason: "successful" };
  if (state === "Failed") return { state: "failed", reason: "the Dask job failed" };
  return { state: "pending", reason: state ? `job status ${state}` : "waiting for the Dask operator" };
}

function mpiJob(object: ClusterObject): Readiness {
  const failed = condition(object, "Failed");
  if (failed) return { state: "failed", reason: said(failed, "failed") };
  if (condition(object, "Succeeded")) return { state: "ready", reason: "succeeded" };
  const running = condition(object, "Running");
  return { state: "pending", reason: running ? "running" : "waiting for the MPI operator" };
}

function sparkApplication(object: ClusterObject): Readiness {
  const app = (object.status as { applicationState?: { state?: string; errorMessage?: string } } | undefined)
    ?.applicationState;
  const state = app?.state ?? "";
  if (state === "COMPLETED") return { state: "ready", reason: "completed" };
  if (state === "FAILED" || state === "SUBMISSION_FAILED") {
    return { state: "failed", reason: `${state}${app?.errorMessage ? `: ${app.errorMessage}` : ""}` };
  }
  return { state: "pending", reason: state ? `state ${state}` : "waiting for the Spark operator" };
}

const byKind: Record<string, (object: ClusterObject) => Readiness> = {
  NuclioFunction: nuclioFunction,
  Deployment: deployment,
  Job: job,
  DaskJob: daskJob,
  MPIJob: mpiJob,
  SparkApplication: sparkApplication,
};

/** True for the kinds whose readiness `--wait` follows; the rest are ready once applied. */
export function hasReadiness(kind: string): boolean {
  return kind in byKind;
}

/** Reads an object's status the way its controller writes it. */
export function readinessOf(object: ClusterObject): Readiness {
  return byKind[object.kind]?.(object) ?? { state: "ready", reason: "applied" };
}

/**
 * One catalogue of sluice's failures. Every error a user can see has a stable code
 * (`SLUICE_ERR_<AREA>_<THING>`), an HTTP status where one applies, and keeps its `cause`.
 */
export const errorCodes = {
  SLUICE_ERR_USAGE: { status: 400, exitCode: 2 },
  SLUICE_ERR_NOT_BUILT: { status: 501, exitCode: 2 },
  SLUICE_ERR_GRAPH_INVALID: { status: 400, exitCode: 1 },
  SLUICE_ERR_GRAPH_LOAD: { status: 400, exitCode: 1 },
  SLUICE_ERR_INPUT: { status: 400, exitCode: 1 },
  SLUICE_ERR_STEP_FAILED: { status: 500, exitCode: 3 },
  SLUICE_ERR_STEP_TIMEOUT: { status: 504, exitCode: 3 },
  SLUICE_ERR_MODEL_NOT_FOUND: { status: 404, exitCode: 1 },
  SLUICE_ERR_MODEL_NOT_READY: { status: 503, exitCode: 3 },
  /** A model repository load: the model's `load()` threw (the model stays unavailable). */
  SLUICE_ERR_MODEL_LOAD_FAILED: { status: 500, exitCode: 3 },
  /** A model repository unload: the model's `unload()` threw (the model is unavailable anyway). */
  SLUICE_ERR_MODEL_UNLOAD_FAILED: { status: 500, exitCode: 3 },
  SLUICE_ERR_ROUTE_NOT_FOUND: { status: 404, exitCode: 1 },
  /** A remote step's target failed (an error answer, a refused or reset connection). */
  SLUICE_ERR_REMOTE_FAILED: { status: 502, exitCode: 3 },
  /** A remote target's circuit breaker is open: the call fails fast, the target is spared. */
  SLUICE_ERR_CIRCUIT_OPEN: { status: 503, exitCode: 3 },
  /** A bulkhead and its queue are full: the event is refused rather than held in memory. */
  SLUICE_ERR_OVERLOADED: { status: 503, exitCode: 3 },
  SLUICE_ERR_INTERNAL: { status: 500, exitCode: 3 },
  /** A change that needs the admin token came without it, or with a wrong one. */
  SLUICE_ERR_UNAUTHORIZED: { status: 401, exitCode: 2 },

  // Functions (src/runtimes): documents, the store, the hub and local runs.
  /** A function document (or a fluent call on one) breaks its kind's schema. */
  SLUICE_ERR_FUNCTION_INVALID: { status: 400, exitCode: 1 },
  /** No such function, tag or version in the store or the hub. */
  SLUICE_ERR_FUNCTION_NOT_FOUND: { status: 404, exitCode: 1 },
  /** The function store cannot be opened, or stayed locked past its busy timeout. */
  SLUICE_ERR_STORE: { status: 500, exitCode: 3 },
  /** The hub could not be read (a missing index, an HTTP error, a network failure). */
  SLUICE_ERR_HUB: { status: 502, exitCode: 3 },
  /** A run of a function failed: its handler threw, or its process exited non-zero. */
  SLUICE_ERR_RUN_FAILED: { status: 500, exitCode: 3 },
  /** A run of a function outlived its --timeout and was stopped. */
  SLUICE_ERR_RUN_TIMEOUT: { status: 504, exitCode: 3 },

  // The control plane (src/runtimes/cluster): talking to a Kubernetes API server.
  /** No kubeconfig could be loaded, or it names no cluster or context. */
  SLUICE_ERR_CLUSTER_CONFIG: { status: 400, exitCode: 1 },
  /** The API server could not be reached (refused, reset, TLS, a timeout). */
  SLUICE_ERR_CLUSTER_UNREACHABLE: { status: 502, exitCode: 3 },
  /** The identity in use may not do what was asked (HTTP 401/403): says which verb on what for whom. */
  SLUICE_ERR_CLUSTER_FORBIDDEN: { status: 403, exitCode: 3 },
  /** The API server refused an object as invalid (HTTP 422/400): names the field. */
  SLUICE_ERR_CLUSTER_INVALID: { status: 422, exitCode: 1 },
  /** The object, or its kind, does not exist on the cluster (a CRD not installed, say). */
  SLUICE_ERR_CLUSTER_NOT_FOUND: { status: 404, exitCode: 3 },
  /** Any other answer of the API server (a conflict, a 5xx). */
  SLUICE_ERR_CLUSTER: { status: 502, exitCode: 3 },
  /** `sluice deploy --wait`: an object reported a failure (a NuclioFunction in state error, say). */
  SLUICE_ERR_DEPLOY_NOT_READY: { status: 502, exitCode: 3 },
  /** `sluice deploy --wait`: objects were still not ready when --timeout ran out. */
  SLUICE_ERR_DEPLOY_TIMEOUT: { status: 504, exitCode: 3 },

  // The control plane (src/runtimes/render): turning functions and graphs into Kubernetes objects.
  /** A function or graph cannot be rendered: a field the target object cannot express, a missing image. */
  SLUICE_ERR_RENDER_INVALID: { status: 400, exitCode: 1 },

  // sluice's Nuclio entry (src/runtimes/nuclio).
  /** The function cannot run: SLUICE_GRAPH or SLUICE_FUNCTION missing or wrong, or its graph does not load. */
  SLUICE_ERR_NUCLIO_SETUP: { status: 500, exitCode: 3 },
  /** A call names a step (`x-sluice-step`) that is not in this function. */
  SLUICE_ERR_NUCLIO_UNKNOWN_STEP: { status: 404, exitCode: 1 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;
  /** A short suggestion printed under the message by the command line. */
  readonly hint: string | undefined;
  /** For 429/503: in how many seconds trying again makes sense (HTTP `Retry-After`). */
  readonly retryAfter: number | undefined;
  /** For 503: trying again will not help (a model that failed to load): no `Retry-After`. */
  readonly permanent: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      cause?: unknown;
      hint?: string;
      status?: number;
      retryAfter?: number;
      permanent?: boolean;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SluiceError";
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.exitCode = errorCodes[code].exitCode;
    this.hint = options.hint;
    this.retryAfter = options.retryAfter;
    this.permanent = options.permanent === true;
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

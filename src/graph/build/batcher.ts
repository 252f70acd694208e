import { SluiceError } from "../../errors.js";
import type { GraphEvent, Logger } from "../contract.js";
import {
  batchKey,
  concatRequests,
  type InferRequest,
  normaliseOutputs,
  rowsOf,
  splitOutputs,
  type Tensor,
} from "../oip/index.js";
import { isThenable } from "./env.js";

/** A model step's `batching`, compiled. */
export interface BatchingSettings {
  /** The most rows (dimension 0, summed over the requests) one predict call gets. */
  maxBatchSize: number;
  /** How long the first request of a batch waits for others, in ms. */
  maxBatchTimeMs: number;
  /** The step's own `timeout`, in ms: a request queued longer is not predicted. */
  timeoutMs?: number | undefined;
}

type Predict = (inputs: Tensor[], request: InferRequest) => unknown;

/** One request waiting in a batch. */
interface Member {
  request: InferRequest;
  rows: number;
  /** Epoch ms past which nobody waits for the answer (the request's deadline, the step's timeout). */
  expires: number;
  signal: AbortSignal | undefined;
  resolve(outputs: Tensor[]): void;
  reject(error: unknown): void;
}

/** A batch still taking requests. */
interface Open {
  members: Member[];
  rows: number;
  timer: NodeJS.Timeout;
}

/**
 * A model's adaptive batcher (Triton's dynamic batcher, MLServer's adaptive batching): requests
 * with the same `batchKey` queue together, and a batch goes to one `predict` call when it holds
 * `maxBatchSize` rows or `maxBatchTimeMs` after its first request, whichever comes first.
 * Each request gets its own rows of every output back.
 *
 * One bad request never fails the others: when a batched `predict` throws, each request of the
 * batch is predicted again on its own, so only the requests that fail alone fail. A request
 * whose deadline passed or whose caller went away while it waited is left out of the batch.
 */
export class ModelBatcher {
  /** Batches taking requests, one per batch key. */
  readonly #open = new Map<string, Open>();

  constructor(
    readonly model: string,
    readonly settings: BatchingSettings,
    readonly predict: Predict,
    readonly logger: Logger,
  ) {}

  /**
   * Queues a request; resolves with its outputs (all the model returned, normalised). Returns
   * undefined for a request that runs alone, unqueued: one with no common dimension 0, or at
   * least `maxBatchSize` rows by itself.
   */
  submit(request: InferRequest, event: GraphEvent | undefined): Promise<Tensor[]> | undefined {
    const rows = rowsOf(request);
    const { maxBatchSize, maxBatchTimeMs, timeoutMs } = this.settings;
    if (rows === undefined || rows === 0 || rows >= maxBatchSize) return undefined;
    const key = batchKey(request);
    const expires = Math.min(
      event?.deadline ?? Number.POSITIVE_INFINITY,
      timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs,
    );
    return new Promise<Tensor[]>((resolve, reject) => {
      let open = this.#open.get(key);
      if (open && open.rows + rows > maxBatchSize) {
        this.#dispatch(key, open);
        open = undefined;
      }
      if (!open) {
        const opened: Open = { members: [], rows: 0, timer: undefined as unknown as NodeJS.Timeout };
        opened.timer = setTimeout(() => this.#dispatch(key, opened), maxBatchTimeMs);
        this.#open.set(key, opened);
        open = opened;
      }
      open.members.push({ request, rows, expires, signal: event?.signal, resolve, reject });
      open.rows += rows;
      if (open.rows >= maxBatchSize) this.#dispatch(key, open);
    });
  }

  #dispatch(key: string, open: Open): void {
    clearTimeout(open.timer);
    if (this.#open.get(key) === open) this.#open.delete(key);
    const now = Date.now();
    const live: Member[] = [];
    for (const member of open.members) {
      if (member.signal?.aborted) member.reject(gone());
      else if (member.expires <= now) member.reject(expired());
      else live.push(member);
    }
    if (live.length === 1) this.#alone(live[0] as Member);
    if (live.length < 2) return;
    let rows = 0;
    for (const member of live) rows += member.rows;
    const batch = concatRequests(
      live.map((m) => m.request),
      rows,
    );
    let outputs: unknown;
    try {
      outputs = this.predict(batch.inputs, batch);
    } catch (error) {
      this.#oneByOne(live, error);
      return;
    }
    if (isThenable(outputs)) {
      outputs.then(
        (value) => this.#split(live, value),
        (error: unknown) => this.#oneByOne(live, error),
      );
    } else {
      this.#split(live, outputs);
    }
  }

  /** Hands each member its rows; outputs that cannot be split fail every member alike. */
  #split(members: Member[], value: unknown): void {
    let parts: Tensor[][];
    try {
      parts = splitOutputs(
        normaliseOutputs(value),
        members.map((m) => m.rows),
        this.model,
      );
    } catch (error) {
      for (const member of members) member.reject(error);
      return;
    }
    for (let i = 0; i < members.length; i++) (members[i] as Member).resolve(parts[i] as Tensor[]);
  }

  /**
   * A batch's predict failed: each request is predicted again alone, so the one that broke
   * it fails by itself. Costs one more predict per request of a failing batch.
   */
  #oneByOne(members: Member[], error: unknown): void {
    this.logger.debug(
      { err: error, model: this.model, requests: members.length },
      "batched predict failed: predicting its requests one by one",
    );
    for (const member of members) this.#alone(member);
  }

  /** Predicts one request as it came (its own id and all), unbatched. */
  #alone(member: Member): void {
    const settle = (value: unknown) => {
      try {
        member.resolve(normaliseOutputs(value));
      } catch (error) {
        member.reject(error);
      }
    };
    let outputs: unknown;
    try {
      outputs = this.predict(member.request.inputs, member.request);
    } catch (error) {
      member.reject(error);
      return;
    }
    if (isThenable(outputs)) outputs.then(settle, (error: unknown) => member.reject(error));
    else settle(outputs);
  }
}

function expired(): SluiceError {
  return new SluiceError(
    "SLUICE_ERR_STEP_TIMEOUT",
    "the request's deadline passed while it waited for a batch",
  );
}

/** Nobody reads this answer (the caller closed its connection); it only settles the request. */
function gone(): SluiceError {
  return new SluiceError(
    "SLUICE_ERR_STEP_FAILED",
    "the caller went away while the request waited for a batch",
    { status: 499 },
  );
}

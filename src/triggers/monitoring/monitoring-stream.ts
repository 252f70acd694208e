import { setTimeout as sleep } from "node:timers/promises";
import type { Logger, MonitoringRecord, MonitoringSink } from "../../graph/index.js";
import { MessagePacker, RecordChunks, type Written } from "./record-chunks.js";

/** A record as a broker takes it. */
export interface Outgoing {
  key: string;
  value: Buffer;
}

/** A broker connection that writes batches of records (transports.ts). */
export interface MonitoringTransport {
  /** The largest record it can ever take, in bytes. */
  readonly maxRecordBytes: number;
  /** Resolves once the broker holds every message of the batch; rejects when it may not. */
  send(messages: Outgoing[]): Promise<void>;
  close(): Promise<void>;
}

/** Serialised records at the head of the queue, as messages. */
interface Batch {
  messages: Outgoing[];
  /** How many records of the queue's head the messages hold. */
  records: number;
}

/** Where a stream counts its records (prom-client series bound once: see gateway/metrics). */
export interface MonitoringMeters {
  written: { inc(by?: number): void };
  dropped: { inc(by?: number): void };
  failed: { inc(by?: number): void };
  buffered: { set(value: number): void };
}

export interface MonitoringStreamOptions {
  /** Records held at most; a record offered beyond is dropped and counted. */
  capacity: number;
  logger: Logger;
  meters: MonitoringMeters;
  /** Records per send (default 500). */
  batchRecords?: number;
  /** Bytes per send (default 900 kB, under Kafka's default 1 MB batch). */
  batchBytes?: number;
  /**
   * How long a batch waits for more records before it is sent, unless it is full (default
   * 20 ms, as a Kafka producer's linger.ms): each send costs the process and the broker a
   * request, whatever its size, so few large sends cost far less than many small ones.
   */
  lingerMs?: number;
  /**
   * Records written as one message, a line each (newline-delimited JSON); default 1, one
   * record a message as MLRun writes them. More cut the broker client's cost per record.
   */
  recordsPerMessage?: number;
  /** Waits between failed sends: from `initialMs`, doubling up to `maxMs` (100 ms, 2 s). */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Waits for the linger, between failed sends (cut short by `signal` when the stream
   * closes) and for the grace of `close`: node's timers unless given (tests hand in a clock).
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

const timers = (ms: number, signal?: AbortSignal): Promise<unknown> => sleep(ms, undefined, { signal });

/** Lifecycle of a stream: open takes records; closing flushes; closed takes none. */
export type MonitoringStreamState = "open" | "closing" | "closed";

/**
 * One monitoring stream's writer: a bounded buffer that requests hand records to, and a pump
 * that sends them in batches on later turns of the event loop, never on a request's way.
 * A record leaves the buffer only once the broker acknowledged its batch (at least once:
 * a failed send is retried with backoff, the same batch again). While the broker is slow or
 * away the buffer fills and records offered to a full buffer are dropped and counted: memory
 * stays bounded and requests never wait. `close(deadline)` flushes until the deadline.
 */
export class MonitoringStream implements MonitoringSink {
  /** Records offered in this turn of the event loop, serialised on the next. */
  #fresh: MonitoringRecord[] = [];
  /** Serialised records, oldest first. */
  readonly #queue: Written[] = [];
  readonly #chunks = new RecordChunks();
  #capacity: number;
  #state: MonitoringStreamState = "open";
  #pump: Promise<void> | undefined;
  /** The head of the queue, serialised: sent again as it is after a failure. */
  #batch: Batch | undefined;
  #transport: Promise<MonitoringTransport> | undefined;
  #deadline = Number.POSITIVE_INFINITY;
  /** Set while the broker refuses writes: when it began and what was dropped since. */
  #outage: { since: number; dropped: number } | undefined;
  readonly #wake = new AbortController();
  readonly #logger: Logger;
  readonly #meters: MonitoringMeters;
  readonly #batchRecords: number;
  readonly #batchBytes: number;
  readonly #lingerMs: number;
  #recordsPerMessage: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<unknown>;

  constructor(
    /** The stream's URL, as the graph wrote it (logs and metrics). */
    readonly name: string,
    readonly connect: () => Promise<MonitoringTransport>,
    options: MonitoringStreamOptions,
  ) {
    this.#capacity = options.capacity;
    this.#logger = options.logger;
    this.#meters = options.meters;
    this.#batchRecords = options.batchRecords ?? 500;
    this.#batchBytes = options.batchBytes ?? 900_000;
    this.#lingerMs = options.lingerMs ?? 20;
    this.#recordsPerMessage = options.recordsPerMessage ?? 1;
    this.#backoff = options.backoff ?? { initialMs: 100, maxMs: 2_000 };
    this.#sleep = options.sleep ?? timers;
  }

  get state(): MonitoringStreamState {
    return this.#state;
  }

  /** Records waiting to be written. */
  get buffered(): number {
    return this.#fresh.length + this.#queue.length;
  }

  /** Another model asks for a larger buffer (or packing) on the same stream: the larger holds. */
  grow(capacity: number, recordsPerMessage = 1): void {
    this.#capacity = Math.max(this.#capacity, capacity);
    this.#recordsPerMessage = Math.max(this.#recordsPerMessage, recordsPerMessage);
  }

  offer(record: MonitoringRecord): void {
    if (this.#state !== "open" || this.buffered >= this.#capacity) {
      this.#meters.dropped.inc();
      if (this.#outage) this.#outage.dropped++;
      return;
    }
    if (this.#fresh.length === 0) setImmediate(this.#serialiseFresh);
    this.#fresh.push(record);
  }

  /**
   * Serialises the records offered in the last turn of the loop, once their requests were
   * answered: held as JSON text until sent, a record no longer keeps its request's and
   * response's objects alive through the garbage collector's young generation.
   */
  readonly #serialiseFresh = (): void => {
    const fresh = this.#fresh;
    this.#fresh = [];
    for (const record of fresh) {
      try {
        this.#queue.push(this.#chunks.write(record));
      } catch (error) {
        this.#meters.failed.inc();
        this.#logger.warn(
          { stream: this.name, model: record.key },
          `a monitoring record cannot be written: it is not JSON (${(error as Error).message})`,
        );
      }
    }
    this.#meters.buffered.set(this.buffered);
    if (this.#queue.length > 0) this.#pump ??= this.#run();
  };

  async #run(): Promise<void> {
    let wait = this.#backoff.initialMs;
    while (this.#queue.length > 0 && this.#state !== "closed" && Date.now() < this.#deadline) {
      // A new batch lingers for more records (never on the request's way: the request that
      // offered the first one has long been answered when it is sent).
      if (!this.#batch && this.#state === "open" && this.#queue.length < this.#batchRecords) {
        await this.#sleep(this.#lingerMs);
      }
      try {
        this.#transport ??= this.connect();
        const transport = await this.#transport;
        const batch = this.#nextBatch(transport.maxRecordBytes);
        if (batch.records === 0) continue;
        await transport.send(batch.messages);
        // Closed meanwhile (the grace ended): the batch was counted as unsent already.
        if ((this.#state as MonitoringStreamState) === "closed") break;
        this.#queue.splice(0, batch.records);
        this.#batch = undefined;
        this.#meters.written.inc(batch.records);
        this.#meters.buffered.set(this.buffered);
        this.#recovered();
        wait = this.#backoff.initialMs;
      } catch (error) {
        // A connection that could not be made is tried afresh; a transport that was made
        // keeps its own reconnection.
        const pending = this.#transport;
        if (pending) void pending.catch(() => (this.#transport = undefined));
        this.#unavailable(error);
        await this.#sleep(Math.min(wait, Math.max(0, this.#deadline - Date.now())), this.#wake.signal).catch(
          () => {},
        );
        wait = Math.min(wait * 2, this.#backoff.maxMs);
      }
    }
    this.#pump = undefined;
    // Records offered while the last send was on its way start the pump again.
    if (this.#queue.length > 0 && this.#state === "open") this.#pump = this.#run();
  }

  /**
   * The records at the head of the queue as messages (made once: a retry sends the same
   * batch), `recordsPerMessage` to a message (newline-delimited). A record larger than the
   * broker takes leaves the queue at once and counts as failed, so it cannot hold up the
   * records behind it.
   */
  #nextBatch(maxRecordBytes: number): Batch {
    if (this.#batch) return this.#batch;
    const packer = new MessagePacker(this.#recordsPerMessage, maxRecordBytes);
    let records = 0;
    while (records < this.#queue.length && records < this.#batchRecords) {
      const record = this.#queue[records] as Written;
      const size = record.end - record.start;
      if (size > maxRecordBytes) {
        this.#unwritable(records, `its ${size} bytes are more than the broker takes (${maxRecordBytes})`);
        continue;
      }
      if (records > 0 && packer.bytesWith(record) > this.#batchBytes) break;
      packer.add(record);
      records++;
    }
    const batch = { messages: packer.close(), records };
    if (records > 0) this.#batch = batch;
    return batch;
  }

  #unwritable(index: number, why: string): void {
    const [record] = this.#queue.splice(index, 1);
    this.#meters.failed.inc();
    this.#meters.buffered.set(this.buffered);
    this.#logger.warn(
      { stream: this.name, model: record?.key },
      `a monitoring record cannot be written: ${why}`,
    );
  }

  #unavailable(error: unknown): void {
    if (this.#outage) return;
    this.#outage = { since: Date.now(), dropped: 0 };
    this.#logger.warn(
      { stream: this.name, err: error, buffered: this.#queue.length, capacity: this.#capacity },
      "monitoring stream unavailable: records wait in the buffer, and are dropped once it is full",
    );
  }

  #recovered(): void {
    if (!this.#outage) return;
    const { since, dropped } = this.#outage;
    this.#outage = undefined;
    this.#logger.info(
      { stream: this.name, ms: Date.now() - since, dropped },
      "monitoring stream writes again",
    );
  }

  /**
   * Takes no more records, sends those buffered until `deadline` (milliseconds since the
   * epoch), then lets go of the connection. Records still unsent by then count as failed.
   */
  async close(deadline: number): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#deadline = deadline;
    this.#serialiseFresh();
    if (this.#pump) {
      await Promise.race([this.#pump, this.#sleep(Math.max(0, deadline - Date.now()))]);
    }
    this.#state = "closed";
    this.#wake.abort();
    const left = this.#queue.splice(0).length;
    if (left > 0) {
      this.#meters.failed.inc(left);
      this.#logger.warn(
        { stream: this.name, records: left },
        "monitoring records unsent when the grace ended",
      );
    }
    this.#meters.buffered.set(0);
    const transport = await this.#transport?.catch(() => undefined);
    await transport?.close().catch(() => {});
  }
}

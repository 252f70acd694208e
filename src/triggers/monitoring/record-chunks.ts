import type { MonitoringRecord, RecordWriter } from "../../graph/index.js";
import type { Outgoing } from "./monitoring-stream.js";

/** A serialised record: its key and where its JSON lies in a shared chunk. */
export interface Written {
  key: string;
  chunk: Buffer;
  start: number;
  end: number;
}

/** Bytes of a chunk: a few thousand small records. */
const chunkBytes = 1 << 20;

/**
 * Writes records' JSON one after the other into large shared buffers, each followed by a
 * newline; a record writes its pieces straight in (RecordWriter). The bytes live outside V8's
 * heap: records waiting to be sent (for the linger, then the broker's acknowledgement) are not
 * strings the garbage collector copies out of its young generation. Records side by side in a
 * chunk are already a newline-delimited message.
 */
export class RecordChunks implements RecordWriter {
  #chunk = Buffer.allocUnsafe(0);
  #used = 0;
  /** Where the record being written began. */
  #start = 0;

  /** Writes `record`'s JSON and a newline; if the record throws, nothing of it stays. */
  write(record: MonitoringRecord): Written {
    this.#start = this.#used;
    try {
      record.write(this);
    } catch (error) {
      this.#used = this.#start;
      throw error;
    }
    this.#room(1);
    const chunk = this.#chunk;
    const end = this.#used;
    chunk[end] = 0x0a;
    this.#used = end + 1;
    return { key: record.key, chunk, start: this.#start, end };
  }

  text(json: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#room(json.length * 3);
    this.#used += this.#chunk.write(json, this.#used);
  }

  bytes(json: Uint8Array, start = 0): void {
    this.#room(json.length - start);
    this.#chunk.set(start === 0 ? json : json.subarray(start), this.#used);
    this.#used += json.length - start;
  }

  /**
   * Makes room for `bytes` more: a chunk that cannot hold them is left for a new one, into
   * which the record's part written so far moves (records are small beside a chunk: rare).
   */
  #room(bytes: number): void {
    if (this.#chunk.length - this.#used >= bytes) return;
    const written = this.#used - this.#start;
    const next = Buffer.allocUnsafe(Math.max(chunkBytes, 2 * (written + bytes)));
    this.#chunk.copy(next, 0, this.#start, this.#used);
    this.#chunk = next;
    this.#start = 0;
    this.#used = written;
  }
}

/**
 * Messages of up to `perMessage` records that lie side by side (a newline between them), no
 * larger than `maxBytes`: views of the chunks, nothing copied. The key is the first record's.
 */
export class MessagePacker {
  readonly messages: Outgoing[] = [];
  bytes = 0;
  #open: { first: Written; end: number; count: number } | undefined;

  constructor(
    readonly perMessage: number,
    readonly maxBytes: number,
  ) {}

  /** The bytes the messages would hold with `record` added. */
  bytesWith(record: Written): number {
    return (
      this.bytes + (this.#open ? this.#open.end - this.#open.first.start : 0) + record.end - record.start + 1
    );
  }

  add(record: Written): void {
    const open = this.#open;
    if (
      open &&
      open.count < this.perMessage &&
      open.first.chunk === record.chunk &&
      open.end + 1 === record.start &&
      record.end - open.first.start <= this.maxBytes
    ) {
      open.end = record.end;
      open.count++;
      return;
    }
    this.close();
    this.#open = { first: record, end: record.end, count: 1 };
  }

  close(): Outgoing[] {
    const open = this.#open;
    if (open) {
      const value = open.first.chunk.subarray(open.first.start, open.end);
      this.messages.push({ key: open.first.key, value });
      this.bytes += value.length;
      this.#open = undefined;
    }
    return this.messages;
  }
}

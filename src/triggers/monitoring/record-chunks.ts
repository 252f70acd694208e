import type { RecordText } from "../../graph/index.js";
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
 * newline. The bytes live outside V8's heap: records waiting to be sent (for the linger, then
 * the broker's acknowledgement) are not strings the garbage collector copies out of its young
 * generation. Records side by side in a chunk are already a newline-delimited message.
 */
export class RecordChunks {
  #chunk = Buffer.allocUnsafe(0);
  #used = 0;

  /** Writes a record's JSON (its text, or its parts one after the other) and a newline. */
  write(key: string, text: RecordText): Written {
    // UTF-8 takes at most 3 bytes per UTF-16 unit, and one for the newline.
    let room = 1;
    if (typeof text === "string") room += text.length * 3;
    else for (const part of text) room += typeof part === "string" ? part.length * 3 : part.length;
    if (this.#chunk.length - this.#used < room) {
      this.#chunk = Buffer.allocUnsafe(Math.max(chunkBytes, room));
      this.#used = 0;
    }
    const chunk = this.#chunk;
    const start = this.#used;
    let end = start;
    if (typeof text === "string") end += chunk.write(text, end);
    else {
      for (const part of text) {
        if (typeof part === "string") end += chunk.write(part, end);
        else {
          chunk.set(part, end);
          end += part.length;
        }
      }
    }
    chunk[end] = 0x0a;
    this.#used = end + 1;
    return { key, chunk, start, end };
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

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MonitoringRecord } from "../../src/graph/index.js";
import {
  type MonitoringMeters,
  MonitoringStream,
  type MonitoringTransport,
  type Outgoing,
} from "../../src/triggers/monitoring/index.js";
import { memoryLogger } from "../helpers/graphs.js";

// A monitoring stream's writer on a scripted transport and a fake clock (no broker): what the
// broker is sent, when, and what is counted and logged. The same against real brokers is in
// monitoring-kafka.test.ts, monitoring-nats.test.ts and monitoring-outage.test.ts.

/** A record whose JSON is `{"i":i}` (and `pad` characters more when asked), for model `key`. */
function record(i: number, key = "m", pad = 0): MonitoringRecord {
  return { key, write: (out) => out.text(pad > 0 ? `{"i":${i},"p":"${"x".repeat(pad)}"}` : `{"i":${i}}`) };
}

/** A transport that records what it is sent; `failing` sends reject, `hold()` keeps the next ones waiting. */
class ScriptedTransport implements MonitoringTransport {
  maxRecordBytes = 1_000_000;
  /** Every send, as the messages' keys and texts. */
  readonly sends: { key: string; text: string }[][] = [];
  failing = 0;
  closed = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  async send(messages: Outgoing[]): Promise<void> {
    this.sends.push(messages.map((m) => ({ key: m.key, text: m.value.toString("utf8") })));
    if (this.failing > 0) {
      this.failing--;
      throw new Error("broker away");
    }
    await this.#gate;
  }

  async close(): Promise<void> {
    this.closed++;
  }

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#gate = undefined;
    this.#open?.();
  }

  /** How many records each send carried (a message holds one unless packed). */
  get sizes(): number[] {
    return this.sends.map((send) => send.reduce((n, m) => n + m.text.split("\n").length, 0));
  }
}

function meters() {
  const counts = { written: 0, dropped: 0, failed: 0, buffered: 0 };
  const m: MonitoringMeters = {
    written: {
      inc: (by = 1) => {
        counts.written += by;
      },
    },
    dropped: {
      inc: (by = 1) => {
        counts.dropped += by;
      },
    },
    failed: {
      inc: (by = 1) => {
        counts.failed += by;
      },
    },
    buffered: {
      set: (value) => {
        counts.buffered = value;
      },
    },
  };
  return { counts, m };
}

/** A stream on a scripted transport, its waits on the fake clock, each asked-for wait recorded. */
function scripted(options: Partial<ConstructorParameters<typeof MonitoringStream>[2]> = {}) {
  const transport = new ScriptedTransport();
  const { counts, m } = meters();
  const logger = memoryLogger();
  const waits: number[] = [];
  let connects = 0;
  const connectFailures: Error[] = [];
  const stream = new MonitoringStream(
    "kafka://monitoring",
    async () => {
      connects++;
      const failure = connectFailures.shift();
      if (failure) throw failure;
      return transport;
    },
    {
      capacity: 100,
      logger,
      meters: m,
      sleep: (ms, signal) => {
        waits.push(ms);
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      },
      ...options,
    },
  );
  return { stream, transport, counts, logger, waits, connectFailures, connects: () => connects };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a monitoring stream's batches", () => {
  it("takes records at once, off the request's way, and sends them after the 20 ms linger, a message each keyed by model", async () => {
    const { stream, transport, counts, waits } = scripted();
    let written = 0;
    const counted = (r: MonitoringRecord): MonitoringRecord => ({
      key: r.key,
      write: (out) => {
        written++;
        r.write(out);
      },
    });
    stream.offer(counted(record(0, "a")));
    stream.offer(counted(record(1, "b")));
    stream.offer(counted(record(2, "a")));
    expect(written).toBe(0);
    expect(stream.buffered).toBe(3);
    await tick();
    expect(written).toBe(3);
    expect(counts.buffered).toBe(3);
    expect(transport.sends).toEqual([]);
    expect(waits).toEqual([20]);
    await tick(19);
    expect(transport.sends).toEqual([]);
    await tick(1);
    expect(transport.sends).toEqual([
      [
        { key: "a", text: '{"i":0}' },
        { key: "b", text: '{"i":1}' },
        { key: "a", text: '{"i":2}' },
      ],
    ]);
    expect(counts).toEqual({ written: 3, dropped: 0, failed: 0, buffered: 0 });
    expect(stream.buffered).toBe(0);
  });

  it("gathers records offered during the linger into the same send", async () => {
    const { stream, transport } = scripted({ lingerMs: 50 });
    stream.offer(record(0));
    await tick(10);
    stream.offer(record(1));
    await tick(40);
    expect(transport.sizes).toEqual([2]);
  });

  it("sends at most batchRecords records at once, not lingering while a full batch waits", async () => {
    const { stream, transport, waits } = scripted({ batchRecords: 2 });
    for (let i = 0; i < 5; i++) stream.offer(record(i));
    await tick(20);
    expect(transport.sizes).toEqual([2, 2, 1]);
    expect(transport.sends.flat().map((m) => m.text)).toEqual([0, 1, 2, 3, 4].map((i) => `{"i":${i}}`));
    expect(waits).toEqual([20]);
  });

  it("does not linger while the records waiting fill a batch, and waits for nothing once all are sent", async () => {
    const { stream, transport, waits } = scripted({ batchRecords: 2 });
    for (let i = 0; i < 4; i++) stream.offer(record(i));
    await tick();
    expect(transport.sizes).toEqual([2, 2]);
    await tick(1_000);
    expect(waits).toEqual([]);
  });

  it("sends 500 records at most at once unless told", async () => {
    const { stream, transport } = scripted({ capacity: 1_000 });
    for (let i = 0; i < 501; i++) stream.offer(record(i));
    await tick(20);
    expect(transport.sizes).toEqual([500, 1]);
  });

  it("keeps a send within batchBytes, and sends a record larger than that alone", async () => {
    // Each record is 7 bytes and a newline.
    const { stream, transport } = scripted({ batchBytes: 20 });
    for (let i = 0; i < 5; i++) stream.offer(record(i));
    stream.offer(record(5, "m", 30));
    stream.offer(record(6));
    await tick(5 * 20);
    expect(transport.sizes).toEqual([2, 2, 1, 1, 1]);
    expect(transport.sends[3]?.[0]?.text).toHaveLength(44);
  });

  it("fills a send up to exactly batchBytes", async () => {
    // Two 7-byte records and the newline between them: 15 bytes.
    const { stream, transport } = scripted({ batchBytes: 15 });
    stream.offer(record(0));
    stream.offer(record(1));
    await tick(20);
    expect(transport.sizes).toEqual([2]);
  });

  it("keeps a send within 900 kB unless told", async () => {
    const { stream, transport } = scripted({ lingerMs: 0 });
    // 112 kB records: 8 fit in 900 kB (with their newlines), the 9th does not.
    for (let i = 0; i < 10; i++) stream.offer(record(i, "m", 112_000 - 14));
    await tick(10);
    expect(transport.sizes).toEqual([8, 2]);
  });

  it("packs recordsPerMessage records into a message, a line each, keyed by its first record's model", async () => {
    const { stream, transport } = scripted({ recordsPerMessage: 3 });
    for (let i = 0; i < 7; i++) stream.offer(record(i, `m${i}`));
    await tick(20);
    expect(transport.sends).toEqual([
      [
        { key: "m0", text: '{"i":0}\n{"i":1}\n{"i":2}' },
        { key: "m3", text: '{"i":3}\n{"i":4}\n{"i":5}' },
        { key: "m6", text: '{"i":6}' },
      ],
    ]);
  });

  it("packs a message no larger than the broker takes", async () => {
    const { stream, transport } = scripted({ recordsPerMessage: 3 });
    transport.maxRecordBytes = 16;
    for (let i = 0; i < 5; i++) stream.offer(record(i));
    await tick(20);
    expect(transport.sends[0]?.map((m) => m.text)).toEqual([
      '{"i":0}\n{"i":1}',
      '{"i":2}\n{"i":3}',
      '{"i":4}',
    ]);
  });

  it("packs a message up to exactly what the broker takes, and sends a record of exactly that size", async () => {
    const { stream, transport, counts } = scripted({ recordsPerMessage: 3 });
    transport.maxRecordBytes = 15;
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    await tick(20);
    expect(transport.sends[0]?.map((m) => m.text)).toEqual(['{"i":0}\n{"i":1}', '{"i":2}']);
    transport.maxRecordBytes = 7;
    stream.offer(record(3));
    await tick(20);
    expect(transport.sends[1]?.map((m) => m.text)).toEqual(['{"i":3}']);
    expect(counts.failed).toBe(0);
  });

  it("sends records of multi-byte characters whole, however full the chunk they are written into", async () => {
    const { stream, transport } = scripted({ batchBytes: 4_000_000 });
    transport.maxRecordBytes = 2_000_000;
    const text = "é".repeat(400_000);
    const wide: MonitoringRecord = { key: "m", write: (out) => out.text(JSON.stringify({ text })) };
    stream.offer(wide);
    stream.offer(wide);
    await tick(20);
    expect(transport.sends.flat().map((m) => JSON.parse(m.text).text === text)).toEqual([true, true]);
  });

  it("never packs records of two chunks into one message, and sends every record whole and in order", async () => {
    const { stream, transport } = scripted({ recordsPerMessage: 3, batchBytes: 4_000_000 });
    transport.maxRecordBytes = 2_000_000;
    // 100 kB records: a chunk (1 MiB) cannot hold twelve, so packing breaks where one fills.
    for (let i = 0; i < 12; i++) stream.offer(record(i, `m${i}`, 100_000 - 14));
    await tick(20);
    const messages = transport.sends.flat();
    const lines = messages.flatMap((m) => m.text.split("\n"));
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Math.max(...messages.map((m) => m.text.split("\n").length))).toBe(3);
    expect(messages.length).toBeGreaterThan(4);
  });

  it("packs more records per message once another model asks for more, and never fewer", async () => {
    const { stream, transport } = scripted();
    stream.grow(10, 2);
    stream.grow(10, 1);
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    await tick(20);
    expect(transport.sends[0]?.map((m) => m.text)).toEqual(['{"i":0}\n{"i":1}', '{"i":2}']);
  });

  it("counts a record larger than the broker takes as failed, saying why, and sends the others", async () => {
    const { stream, transport, counts, logger } = scripted();
    transport.maxRecordBytes = 10;
    stream.offer(record(0));
    stream.offer(record(1, "big", 20));
    stream.offer(record(2));
    await tick(20);
    expect(transport.sends.flat().map((m) => m.text)).toEqual(['{"i":0}', '{"i":2}']);
    expect(counts).toEqual({ written: 2, dropped: 0, failed: 1, buffered: 0 });
    expect(logger.lines).toEqual([
      {
        level: "warn",
        obj: { stream: "kafka://monitoring", model: "big" },
        msg: "a monitoring record cannot be written: its 34 bytes are more than the broker takes (10)",
      },
    ]);
  });

  it("sends nothing, and goes on, when every record of a batch is larger than the broker takes", async () => {
    const { stream, transport, counts } = scripted();
    transport.maxRecordBytes = 10;
    stream.offer(record(0, "big", 20));
    await tick(20);
    expect(transport.sends).toEqual([]);
    expect(counts.failed).toBe(1);
    stream.offer(record(1));
    await tick(20);
    expect(transport.sizes).toEqual([1]);
  });

  it("counts a record that is not JSON as failed, saying so, and sends the others", async () => {
    const { stream, transport, counts, logger } = scripted();
    stream.offer(record(0));
    stream.offer({
      key: "bad",
      write: () => {
        JSON.stringify({ n: 1n });
      },
    });
    await tick(20);
    expect(transport.sizes).toEqual([1]);
    expect(counts).toEqual({ written: 1, dropped: 0, failed: 1, buffered: 0 });
    expect(logger.lines[0]).toMatchObject({
      level: "warn",
      obj: { stream: "kafka://monitoring", model: "bad" },
    });
    expect(logger.lines[0]?.msg).toMatch(/^a monitoring record cannot be written: it is not JSON \(.*BigInt/);
  });

  it("sends records offered while a send was on its way once it is acknowledged", async () => {
    const { stream, transport } = scripted();
    transport.hold();
    stream.offer(record(0));
    await tick(20);
    expect(transport.sizes).toEqual([1]);
    stream.offer(record(1));
    await tick(20);
    transport.release();
    await tick(20);
    expect(transport.sizes).toEqual([1, 1]);
    expect(transport.sends[1]?.[0]?.text).toBe('{"i":1}');
  });
});

describe("a monitoring stream whose broker is away", () => {
  it("sends the same batch again, waiting 100 ms doubling to 2 s, and counts it written once", async () => {
    const { stream, transport, counts, waits } = scripted({ capacity: 10 });
    transport.failing = 6;
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    await tick(20 + 100 + 200 + 400 + 800 + 1_600 + 2_000);
    expect(waits).toEqual([20, 100, 200, 400, 800, 1_600, 2_000]);
    expect(transport.sends).toHaveLength(7);
    for (const send of transport.sends) expect(send).toEqual(transport.sends[0]);
    expect(counts).toEqual({ written: 3, dropped: 0, failed: 0, buffered: 0 });
  });

  it("retries the batch it made, not one with the records offered since", async () => {
    const { stream, transport } = scripted();
    transport.failing = 2;
    stream.offer(record(0));
    await tick(20);
    stream.offer(record(1));
    await tick(100 + 200);
    expect(transport.sizes).toEqual([1, 1, 1]);
    expect(transport.sends[2]).toEqual(transport.sends[0]);
    await tick(20);
    expect(transport.sends[3]?.[0]?.text).toBe('{"i":1}');
  });

  it("waits as told between attempts, and from the start again after a send went through", async () => {
    const { stream, transport, waits } = scripted({ backoff: { initialMs: 10, maxMs: 30 } });
    transport.failing = 4;
    stream.offer(record(0));
    await tick(20 + 10 + 20 + 30 + 30);
    expect(transport.sizes).toEqual([1, 1, 1, 1, 1]);
    transport.failing = 1;
    stream.offer(record(1));
    await tick(20 + 10);
    expect(waits).toEqual([20, 10, 20, 30, 30, 20, 10]);
    expect(transport.sizes).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("says once that the stream is unavailable, and once that it writes again, with how long and what was dropped", async () => {
    const { stream, transport, counts, logger } = scripted({ capacity: 2 });
    transport.failing = 3;
    stream.offer(record(0));
    stream.offer(record(1));
    await tick(20);
    stream.offer(record(2));
    stream.offer(record(3));
    await tick(100 + 200 + 400);
    expect(counts).toMatchObject({ written: 2, dropped: 2 });
    const warnings = logger.lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toBe(
      "monitoring stream unavailable: records wait in the buffer, and are dropped once it is full",
    );
    expect(warnings[0]?.obj).toMatchObject({ stream: "kafka://monitoring", buffered: 2, capacity: 2 });
    expect((warnings[0]?.obj as { err?: Error } | undefined)?.err?.message).toBe("broker away");
    const infos = logger.lines.filter((l) => l.level === "info");
    expect(infos).toEqual([
      {
        level: "info",
        obj: { stream: "kafka://monitoring", ms: 700, dropped: 2 },
        msg: "monitoring stream writes again",
      },
    ]);
    // A second outage is said again, and its drops counted from zero.
    transport.failing = 1;
    stream.offer(record(4));
    await tick(20 + 100);
    expect(logger.lines.filter((l) => l.level === "warn")).toHaveLength(2);
    expect(logger.lines.at(-1)?.obj).toMatchObject({ ms: 100, dropped: 0 });
  });

  it("drops and counts records offered to a full buffer, and takes them again once there is room", async () => {
    const { stream, transport, counts } = scripted({ capacity: 2 });
    transport.failing = 1;
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    expect(counts.dropped).toBe(1);
    expect(stream.buffered).toBe(2);
    await tick(20 + 100);
    expect(counts.written).toBe(2);
    stream.offer(record(3));
    expect(counts.dropped).toBe(1);
    expect(stream.buffered).toBe(1);
  });

  it("holds more records once another model asks for a larger buffer, and never fewer", async () => {
    const { stream, counts } = scripted({ capacity: 2 });
    stream.grow(3);
    stream.grow(1);
    for (let i = 0; i < 4; i++) stream.offer(record(i));
    expect(stream.buffered).toBe(3);
    expect(counts.dropped).toBe(1);
  });

  it("connects afresh after a connection that could not be made", async () => {
    const { stream, transport, connectFailures, connects, counts } = scripted();
    connectFailures.push(new Error("no broker"));
    stream.offer(record(0));
    await tick(20);
    expect(connects()).toBe(1);
    expect(transport.sends).toEqual([]);
    // The backoff, then a new batch's linger.
    await tick(100 + 20);
    expect(connects()).toBe(2);
    expect(transport.sizes).toEqual([1]);
    stream.offer(record(1));
    await tick(20);
    expect(connects()).toBe(2);
    expect(counts.written).toBe(2);
  });
});

describe("a monitoring stream closing", () => {
  it("sends what it holds at once within the grace, then lets go of the transport and takes no more records", async () => {
    const { stream, transport, counts, waits, logger } = scripted();
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    const closed = stream.close(Date.now() + 1_000);
    expect(stream.state).toBe("closing");
    await tick();
    await closed;
    expect(transport.sizes).toEqual([3]);
    expect(waits).toEqual([1_000]);
    expect(stream.state).toBe("closed");
    expect(transport.closed).toBe(1);
    expect(counts).toEqual({ written: 3, dropped: 0, failed: 0, buffered: 0 });
    expect(logger.lines).toEqual([]);
    stream.offer(record(3));
    expect(counts.dropped).toBe(1);
    await stream.close(Date.now() + 1_000);
    expect(transport.closed).toBe(1);
  });

  it("counts what is still unsent when the grace ends as failed, says so, and sends nothing after", async () => {
    const { stream, transport, counts, logger, waits } = scripted();
    transport.failing = 1_000;
    for (let i = 0; i < 3; i++) stream.offer(record(i));
    await tick(20);
    const closed = stream.close(Date.now() + 250);
    await tick(250);
    await closed;
    // The backoff is cut to what is left of the grace (the third wait is close's own).
    expect(waits).toEqual([20, 100, 250, 150]);
    expect(stream.state).toBe("closed");
    expect(counts).toEqual({ written: 0, dropped: 0, failed: 3, buffered: 0 });
    expect(logger.lines.at(-1)).toEqual({
      level: "warn",
      obj: { stream: "kafka://monitoring", records: 3 },
      msg: "monitoring records unsent when the grace ended",
    });
    expect(transport.closed).toBe(1);
    const sent = transport.sends.length;
    await tick(10_000);
    expect(transport.sends).toHaveLength(sent);
  });

  it("does not count a batch acknowledged after the grace ended as written: it was counted unsent", async () => {
    const { stream, transport, counts } = scripted();
    transport.hold();
    stream.offer(record(0));
    await tick(20);
    const closed = stream.close(Date.now() + 100);
    await tick(100);
    await closed;
    transport.release();
    await tick();
    expect(counts).toEqual({ written: 0, dropped: 0, failed: 1, buffered: 0 });
  });

  it("sends records offered in the turn it closes", async () => {
    const { stream, transport } = scripted();
    stream.offer(record(0));
    const closed = stream.close(Date.now() + 1_000);
    await tick();
    await closed;
    expect(transport.sizes).toEqual([1]);
  });

  it("closes without connecting when it never had a record", async () => {
    const { stream, connects, transport } = scripted();
    await stream.close(Date.now() + 1_000);
    expect(connects()).toBe(0);
    expect(transport.closed).toBe(0);
    expect(stream.state).toBe("closed");
  });

  it("closes when the transport could never be made", async () => {
    const { stream, connectFailures, counts } = scripted();
    connectFailures.push(new Error("no"), new Error("no"), new Error("no"));
    stream.offer(record(0));
    await tick(20);
    const closed = stream.close(Date.now() + 50);
    await tick(50);
    await closed;
    expect(counts.failed).toBe(1);
  });
});

import { headers as natsHeaders } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { connectNats } from "../../src/triggers/nats/connection.js";
import { consumeBounded, consumeEagerly } from "../../src/triggers/nats/in-flight.js";
import { bodyOf, headersOf, outputHeaders } from "../../src/triggers/nats/message.js";

/** A source the test feeds by hand: `push` a message, `end` it. */
function feed<M>() {
  const queue: M[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const source: AsyncIterable<M> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) yield queue.shift() as M;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  return {
    source,
    push: (m: M) => {
      queue.push(m);
      poke();
    },
    end: () => {
      ended = true;
      poke();
    },
  };
}

/** Work the test finishes by hand, by message. */
function manualWork<M>() {
  const running = new Map<M, () => void>();
  let most = 0;
  return {
    handle: (m: M) =>
      new Promise<void>((resolve) => {
        running.set(m, resolve);
        most = Math.max(most, running.size);
      }),
    finish: (m: M) => {
      running.get(m)?.();
      running.delete(m);
    },
    running: () => [...running.keys()],
    most: () => most,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("consuming NATS messages with a bound", () => {
  it("handles at most `limit` at once, pulls the next as one finishes, and ends when all are handled", async () => {
    const { source, push, end } = feed<number>();
    const work = manualWork<number>();
    let finished = false;
    const consumed = consumeBounded(source, 2, work.handle).then(() => {
      finished = true;
    });
    for (const m of [1, 2, 3, 4]) push(m);
    await settle();
    expect(work.running()).toEqual([1, 2]);
    work.finish(1);
    await settle();
    expect(work.running()).toEqual([2, 3]);
    end();
    work.finish(2);
    work.finish(3);
    await settle();
    expect(work.running()).toEqual([4]);
    expect(finished).toBe(false);
    work.finish(4);
    await consumed;
    expect(work.most()).toBe(2);
  });

  it("takes every message at once when eager, handles them in order within the limit, and releases the rest on a stop", async () => {
    const { source, push, end } = feed<string>();
    const work = manualWork<string>();
    const taken: string[] = [];
    const released: string[] = [];
    let stopping = false;
    let finished = false;
    const consumed = consumeEagerly(source, 2, work.handle, {
      taken: (m) => taken.push(m),
      stopping: () => stopping,
      release: (m) => released.push(m),
    }).then(() => {
      finished = true;
    });
    for (const m of ["a", "b", "c", "d", "e"]) push(m);
    await settle();
    expect(taken).toEqual(["a", "b", "c", "d", "e"]); // taken, to be kept alive, before their turn
    expect(work.running()).toEqual(["a", "b"]);
    work.finish("a");
    await settle();
    expect(work.running()).toEqual(["b", "c"]);
    stopping = true;
    work.finish("b");
    await settle();
    expect(released).toEqual(["d", "e"]); // not started: let go, for redelivery elsewhere
    expect(work.running()).toEqual(["c"]);
    end();
    await settle();
    expect(finished).toBe(false); // c still runs
    work.finish("c");
    await consumed;
    expect(work.most()).toBe(2);
  });

  it("releases what still waits when the source ends, and ends at once when nothing runs", async () => {
    const { source, push, end } = feed<string>();
    const work = manualWork<string>();
    const released: string[] = [];
    const consumed = consumeEagerly(source, 1, work.handle, {
      taken: () => {},
      stopping: () => false,
      release: (m) => released.push(m),
    });
    push("a");
    push("b");
    await settle();
    end();
    await settle();
    expect(released).toEqual(["b"]);
    work.finish("a");
    await consumed;
    const empty = feed<string>();
    empty.end();
    await consumeEagerly(empty.source, 1, work.handle, {
      taken: () => {},
      stopping: () => false,
      release: () => {},
    });
  });
  it("when eager ends only once the last of several running messages is handled", async () => {
    const { source, push, end } = feed<string>();
    const work = manualWork<string>();
    let finished = false;
    const consumed = consumeEagerly(source, 3, work.handle, {
      taken: () => {},
      stopping: () => false,
      release: () => {},
    }).then(() => {
      finished = true;
    });
    for (const m of ["a", "b", "c"]) push(m);
    await settle();
    end();
    await settle();
    work.finish("a");
    await settle();
    work.finish("b");
    await settle();
    expect(finished).toBe(false);
    work.finish("c");
    await consumed;
  });
});

describe("NATS messages", () => {
  it("give events their headers by lower-case name (the first value of each)", () => {
    const h = natsHeaders();
    h.append("Content-Type", "application/json");
    h.append("X-Many", "one");
    h.append("X-Many", "two");
    expect(headersOf(h)).toEqual({ "content-type": "application/json", "x-many": "one" });
    expect(headersOf(undefined)).toEqual({});
  });

  it("carry the event id and trace context on outputs", () => {
    const traced = outputHeaders("s/1", "00-trace");
    expect([traced.get("x-sluice-event-id"), traced.get("traceparent")]).toEqual(["s/1", "00-trace"]);
    expect(outputHeaders("s/2", undefined).has("traceparent")).toBe(false);
  });

  it("decode a payload in place, and copy raw bytes the client may reuse", () => {
    const buffer = new Uint8Array([0, ...Buffer.from('{"a":1}'), 0]);
    expect(bodyOf(buffer.subarray(1, 8), undefined)).toEqual({ a: 1 });
    const raw = bodyOf(buffer.subarray(1, 8), "application/octet-stream") as Buffer;
    expect(raw.toString()).toBe('{"a":1}');
    buffer[1] = 0x20;
    expect(raw.toString()).toBe('{"a":1}'); // its own copy
    expect(bodyOf(new Uint8Array(0), undefined)).toBeUndefined();
  });

  it("come from a connection that says which server it cannot reach", async () => {
    await expect(connectNats("nats://127.0.0.1:1", "test")).rejects.toThrow(
      expect.objectContaining({
        code: "SLUICE_ERR_INTERNAL",
        message: expect.stringMatching(/^cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: /),
      }),
    );
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import { DROP, makeEvent } from "../../src/graph/index.js";
import {
  Bulkhead,
  CallDeadline,
  staticFallback,
  withFallback,
  withRetries,
} from "../../src/graph/resilience/index.js";
import { flow, graphOf, problemsOf } from "../helpers/graphs.js";

// The resilience parts on their own, on a fake clock where time matters; against real remote
// targets they are in resilience.test.ts and remote.test.ts.

afterEach(() => {
  vi.useRealTimers();
});

/** A task the test finishes by hand. */
function task<T>(value: T) {
  let finish = () => {};
  let fail = (_error: unknown) => {};
  const promise = new Promise<T>((resolve, reject) => {
    finish = () => resolve(value);
    fail = reject;
  });
  return { run: () => promise, finish, fail };
}

describe("a bulkhead", () => {
  it("runs up to maxConcurrency, queues up to maxQueue in order, and refuses the rest at once", async () => {
    const bulkhead = new Bulkhead('step "s"', { maxConcurrency: 1, maxQueue: 1 });
    const first = task("first");
    const second = task("second");
    const running = bulkhead.run(first.run);
    const waiting = bulkhead.run(second.run);
    await expect(bulkhead.run(task("third").run)).rejects.toThrow(
      expect.objectContaining({
        code: "SLUICE_ERR_OVERLOADED",
        message: 'step "s" is overloaded: 1 running and 1 waiting',
      }),
    );
    expect([bulkhead.active, bulkhead.queued]).toEqual([1, 1]);
    first.finish();
    expect(await running).toBe("first");
    await vi.waitFor(() => expect([bulkhead.active, bulkhead.queued]).toEqual([1, 0]));
    second.finish();
    expect(await waiting).toBe("second");
    expect([bulkhead.active, bulkhead.queued]).toEqual([0, 0]);
  });

  it("frees the slot of a task that throws, or rejects", async () => {
    const bulkhead = new Bulkhead("t", { maxConcurrency: 1, maxQueue: 0 });
    await expect(
      bulkhead.run(() => {
        throw new Error("at once");
      }),
    ).rejects.toThrow("at once");
    await expect(bulkhead.run(() => Promise.reject(new Error("later")))).rejects.toThrow("later");
    expect(await bulkhead.run(async () => "free again")).toBe("free again");
  });

  it("lets a waiting call go when its deadline passes or its signal aborts, out of the queue", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const bulkhead = new Bulkhead("target", { maxConcurrency: 1, maxQueue: 5 });
    const busy = task("busy");
    void bulkhead.run(busy.run);
    const byDeadline = bulkhead.run(task("x").run, { deadline: 1_000_100 });
    const signal = new CallDeadline(1_010_000, () => new Error("the call's time is up"));
    const bySignal = bulkhead.run(task("y").run, { signal });
    expect(bulkhead.queued).toBe(2);
    const deadlineMiss = expect(byDeadline).rejects.toThrow(
      expect.objectContaining({
        code: "SLUICE_ERR_STEP_TIMEOUT",
        message: "target was busy (1 running): no turn in time",
      }),
    );
    await vi.advanceTimersByTimeAsync(100);
    await deadlineMiss;
    expect(bulkhead.queued).toBe(1);
    signal.abort(new Error("aborted by the caller"));
    await expect(bySignal).rejects.toThrow("aborted by the caller");
    expect(bulkhead.queued).toBe(0);
    // An already aborted signal is refused without queueing.
    await expect(bulkhead.run(task("z").run, { signal })).rejects.toThrow("aborted by the caller");
    expect(bulkhead.queued).toBe(0);
  });

  it("gives a waiting call at most maxWaitMs, whichever comes first with its deadline", async () => {
    vi.useFakeTimers({ now: 0 });
    const bulkhead = new Bulkhead("s", { maxConcurrency: 1, maxQueue: 5, maxWaitMs: 50 });
    void bulkhead.run(task("busy").run);
    let settled = false;
    const waiting = bulkhead.run(task("w").run, { deadline: 1_000 }).catch((e: unknown) => {
      settled = true;
      return e;
    });
    await vi.advanceTimersByTimeAsync(49);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toMatchObject({ code: "SLUICE_ERR_STEP_TIMEOUT" });
  });
});

describe("a call's deadline", () => {
  it("fires once at its time with the reason it makes, telling every listener still there", () => {
    vi.useFakeTimers({ now: 0 });
    const heard: string[] = [];
    const deadline = new CallDeadline(100, () => "too late");
    const gone = () => heard.push("removed");
    deadline.once("abort", gone);
    deadline.once("abort", () => heard.push("a"));
    deadline.once("abort", () => heard.push("b"));
    deadline.removeListener("abort", gone);
    deadline.removeListener("abort", () => {});
    vi.advanceTimersByTime(99);
    expect(deadline.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect([deadline.aborted, deadline.reason, heard]).toEqual([true, "too late", ["a", "b"]]);
    deadline.abort("again");
    expect([deadline.reason, heard]).toEqual(["too late", ["a", "b"]]);
  });

  it("fires nothing once cleared, and fires at once for a time already past", () => {
    vi.useFakeTimers({ now: 1_000 });
    const heard: string[] = [];
    const cleared = new CallDeadline(1_100, () => "x");
    cleared.once("abort", () => heard.push("cleared"));
    cleared.clear();
    vi.advanceTimersByTime(1_000);
    expect([cleared.aborted, heard]).toEqual([false, []]);
    cleared.abort("after all"); // told by hand later: nobody is left to tell, nothing breaks
    expect([cleared.aborted, heard]).toEqual([true, []]);
    const past = new CallDeadline(0, () => "past");
    vi.advanceTimersByTime(0);
    expect(past.aborted).toBe(true);
  });
});

describe("retries", () => {
  it("try again only what is retryable, up to the retries, and rethrow the last failure reworded", async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error(`attempt ${calls}`));
    };
    const annotated: [number, unknown][] = [];
    const policy = { retries: 2, initialMs: 1, maxMs: 1 };
    await expect(
      withRetries(failing, policy, () => true, {
        annotate: (error, attempts, gaveUp) => {
          annotated.push([attempts, gaveUp]);
          return new Error(`${(error as Error).message} after ${attempts}`);
        },
      }),
    ).rejects.toThrow("attempt 3 after 3");
    expect(annotated).toEqual([[3, undefined]]);
    calls = 0;
    await expect(withRetries(failing, policy, () => false)).rejects.toThrow("attempt 1");
    expect(calls).toBe(1);
    let tries = 0;
    expect(
      await withRetries(
        async () => (++tries < 2 ? Promise.reject(new Error("once")) : "ok"),
        policy,
        () => true,
      ),
    ).toBe("ok");
  });

  it("say how many attempts were made when the deadline passes during the wait between them", async () => {
    vi.useFakeTimers({ now: 0 });
    const jitter = vi.spyOn(Math, "random").mockReturnValue(0.5); // a wait of 500 ms
    const signal = new CallDeadline(50, () => new Error("the request's deadline passed"));
    const retrying = withRetries(
      () => Promise.reject(new Error("no")),
      { retries: 5, initialMs: 1_000, maxMs: 1_000 },
      () => true,
      {
        signal,
        annotate: (error, attempts, gaveUp) =>
          new Error(`${(error as Error).message} after ${attempts}, ${gaveUp}`),
      },
    );
    const failed = expect(retrying).rejects.toThrow("the request's deadline passed after 1, deadline");
    await vi.advanceTimersByTimeAsync(50);
    await failed;
    jitter.mockRestore();
  });

  it("stop when the next wait would end past the deadline, or the signal aborted, or the target asks for longer than the cap", async () => {
    const policy = { retries: 5, initialMs: 1_000, maxMs: 1_000 };
    const gaveUp: unknown[] = [];
    let calls = 0;
    const attempt = () => {
      calls++;
      return Promise.reject(new Error("no"));
    };
    await expect(
      withRetries(attempt, policy, () => true, {
        deadline: Date.now() + 1,
        annotate: (error, _n, why) => {
          gaveUp.push(why);
          return error;
        },
      }),
    ).rejects.toThrow("no");
    // Full jitter may draw a wait short enough: then one more attempt is made.
    expect(calls).toBeLessThanOrEqual(2);
    expect(gaveUp.at(-1)).toBe("deadline");

    const aborted = new CallDeadline(Date.now() + 60_000, () => "x");
    aborted.abort(new Error("stopped"));
    calls = 0;
    await expect(withRetries(attempt, policy, () => true, { signal: aborted })).rejects.toThrow("no");
    expect(calls).toBe(1);
    aborted.clear();

    calls = 0;
    const wantsLater = () => {
      calls++;
      return Promise.reject(Object.assign(new Error("503"), { retryAfter: 5 }));
    };
    await expect(
      withRetries(wantsLater, { retries: 3, initialMs: 1, maxMs: 2_000 }, () => true),
    ).rejects.toThrow("503");
    expect(calls).toBe(1);
  });

  it("stop waiting before a retry as soon as the call's deadline fires, with its reason", async () => {
    vi.useFakeTimers({ now: 0 });
    const signal = new CallDeadline(100, () => new Error("the deadline passed"));
    let calls = 0;
    const attempt = () => {
      calls++;
      return Promise.reject(Object.assign(new Error("503"), { retryAfter: 1 }));
    };
    const result = withRetries(attempt, { retries: 3, initialMs: 1, maxMs: 5_000 }, () => true, {
      signal,
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toMatchObject({ message: "the deadline passed" });
    expect(calls).toBe(1);
  });

  it("retry a Retry-After exactly as long as the cap, and say how many attempts a longer one allowed", async () => {
    vi.useFakeTimers({ now: 0 });
    let calls = 0;
    const attempt = () =>
      ++calls === 1
        ? Promise.reject(Object.assign(new Error("503"), { retryAfter: 1 }))
        : Promise.resolve("ok");
    const result = withRetries(attempt, { retries: 1, initialMs: 1, maxMs: 1_000 }, () => true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await result).toBe("ok");
    const counted: number[] = [];
    const tooLong = () => Promise.reject(Object.assign(new Error("503"), { retryAfter: 2 }));
    await withRetries(tooLong, { retries: 3, initialMs: 1, maxMs: 1_000 }, () => true, {
      annotate: (error, attempts) => {
        counted.push(attempts);
        return error;
      },
    }).catch(() => undefined);
    expect(counted).toEqual([1]);
  });

  it("give up on a wait that would end exactly at the deadline, and wait one that ends before it", async () => {
    vi.useFakeTimers({ now: 0 });
    // Retry-After 1 s outweighs a backoff of at most 1 ms: the wait is exactly 1,000 ms.
    const policy = { retries: 1, initialMs: 1, maxMs: 2_000 };
    const outcomes = async (deadline: number) => {
      let calls = 0;
      const gaveUp: unknown[] = [];
      const attempt = () =>
        ++calls === 1
          ? Promise.reject(Object.assign(new Error("503"), { retryAfter: 1 }))
          : Promise.resolve("back");
      const result = withRetries(attempt, policy, () => true, {
        deadline,
        annotate: (error, _n, why) => {
          gaveUp.push(why);
          return error;
        },
      }).catch((e: unknown) => (e as Error).message);
      await vi.advanceTimersByTimeAsync(1_000);
      return { result: await result, calls, gaveUp };
    };
    expect(await outcomes(1_000)).toEqual({ result: "503", calls: 1, gaveUp: ["deadline"] });
    expect(await outcomes(Date.now() + 1_001)).toEqual({ result: "back", calls: 2, gaveUp: [] });
  });

  it("wait at least what a 503's Retry-After asks, within the cap", async () => {
    vi.useFakeTimers({ now: 0 });
    let calls = 0;
    const attempt = () =>
      ++calls === 1
        ? Promise.reject(Object.assign(new Error("503"), { retryAfter: 1 }))
        : Promise.resolve("back");
    const result = withRetries(attempt, { retries: 1, initialMs: 1, maxMs: 2_000 }, () => true);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toBe("back");
  });
});

describe("fallbacks", () => {
  const event = makeEvent({ body: {} });
  const failingWith = (error: unknown) => () => {
    throw error;
  };

  it("answer in place of a step that failed from 500 up, reading input_path and landing at result_path", async () => {
    const seen: unknown[] = [];
    const run = withFallback(
      failingWith(new SluiceError("SLUICE_ERR_OVERLOADED", "full")),
      "s",
      (input, _e, error) => {
        seen.push([input, error.code, error.status]);
        return { p: 0 };
      },
      { input: ["x"], result: ["score"] },
    );
    expect(run({ x: 7, keep: true }, event)).toEqual({ x: 7, keep: true, score: { p: 0 } });
    expect(seen).toEqual([[7, "OVERLOADED", 503]]);
    const whole = withFallback(failingWith(new Error("boom")), "s", () => "fallback", {
      input: undefined,
      result: undefined,
    });
    expect(whole({ a: 1 }, event)).toBe("fallback");
  });

  it("wait for an async step's failure and an async fallback, and let a fallback drop the event", async () => {
    const run = withFallback(
      async () => Promise.reject(new Error("later")),
      "s",
      async () => ({ late: true }),
      {
        input: undefined,
        result: ["r"],
      },
    );
    expect(await run({ a: 1 }, event)).toEqual({ a: 1, r: { late: true } });
    const dropping = withFallback(failingWith(new Error("x")), "s", () => DROP, {
      input: undefined,
      result: ["r"],
    });
    expect(dropping({ a: 1 }, event)).toBe(DROP);
    const ok = withFallback(
      () => "fine",
      "s",
      () => "unused",
      { input: undefined, result: undefined },
    );
    expect(ok({}, event)).toBe("fine");
    const okLater = withFallback(
      async () => "fine later",
      "s",
      () => "unused",
      { input: undefined, result: undefined },
    );
    expect(await okLater({}, event)).toBe("fine later");
  });

  it("never hide a caller's mistake (a 4xx): the step fails, named", () => {
    const run = withFallback(failingWith(new SluiceError("SLUICE_ERR_INPUT", "bad")), "s", () => "hidden", {
      input: undefined,
      result: undefined,
    });
    expect(() => run({}, event)).toThrow(
      expect.objectContaining({ info: expect.objectContaining({ step: "s", status: 400 }) }),
    );
  });

  it("pass a step's null answer through, and a fallback's null", () => {
    const nullStep = withFallback(
      () => null,
      "s",
      () => "unused",
      { input: undefined, result: undefined },
    );
    expect(nullStep({}, event)).toBeNull();
    const nullFallback = withFallback(failingWith(new Error("x")), "s", () => null, {
      input: undefined,
      result: undefined,
    });
    expect(nullFallback({}, event)).toBeNull();
  });

  it("pass a step's undefined answer through, and a fallback's undefined", () => {
    const quiet = withFallback(
      () => undefined,
      "s",
      () => "unused",
      { input: undefined, result: undefined },
    );
    expect(quiet({}, event)).toBeUndefined();
    const quietFallback = withFallback(failingWith(new Error("x")), "s", () => undefined, {
      input: undefined,
      result: undefined,
    });
    expect(quietFallback({}, event)).toBeUndefined();
  });

  it("give each event its own copy of a static value", () => {
    const fallback = staticFallback({ nested: { n: 1 } });
    const a = fallback(undefined, event, { step: "s", code: "X", message: "m", status: 500 }) as {
      nested: { n: number };
    };
    a.nested.n = 99;
    expect(fallback(undefined, event, { step: "s", code: "X", message: "m", status: 500 })).toEqual({
      nested: { n: 1 },
    });
  });
});

describe("a step's guards", () => {
  it("queue as many as run by default, and count the wait against the step's timeout", async () => {
    const graph = await graphOf(flow("s: {handler: ./steps.mjs#hang, maxConcurrency: 1, timeout: 50ms}"));
    const runs = [graph.invoke({ body: 1 }), graph.invoke({ body: 2 }), graph.invoke({ body: 3 })];
    const outcomes = await Promise.all(
      runs.map((r) =>
        r.then(
          () => "ok",
          (e: { info: { code: string; message: string } }) => `${e.info.code}: ${e.info.message}`,
        ),
      ),
    );
    // One runs (and times out), one waits (and times out waiting: the bulkhead's wait and the
    // step's timeout end together, either may say so), one is refused: the queue holds 1.
    outcomes.sort();
    expect(outcomes[0]).toBe('OVERLOADED: step "s" is overloaded: 1 running and 1 waiting');
    expect(outcomes.slice(1).map((o) => o.split(":")[0])).toEqual(["TIMEOUT", "TIMEOUT"]);
  });

  it("give a call waiting behind another waiter no longer than the step's timeout, saying it got no turn", async () => {
    const graph = await graphOf(
      flow("s: {handler: ./steps.mjs#hang, maxConcurrency: 1, maxQueue: 2, timeout: 50ms}"),
    );
    const runs = [1, 2, 3].map((body) =>
      graph.invoke({ body }).then(
        () => "ok",
        (e: { info: { code: string; message: string } }) => `${e.info.code}: ${e.info.message}`,
      ),
    );
    // The first runs until its timeout, the second then runs until its own; the third would
    // get its turn only after both, past its timeout: it gives up waiting at 50 ms.
    expect(await Promise.all(runs)).toEqual([
      "TIMEOUT: timed out after 50 ms",
      "TIMEOUT: timed out after 50 ms",
      'TIMEOUT: step "s" was busy (1 running): no turn in time',
    ]);
  });

  it("refuse maxQueue without maxConcurrency, and a fallback that names no error-kind step, where written", async () => {
    const problems = async (steps: string, extra = "") =>
      (await problemsOf(flow(steps, extra))).map((p) => `${p.pointer}: ${p.message}`);
    expect(await problems("s: {handler: ./steps.mjs#inc, maxQueue: 3}")).toEqual([
      "/spec/steps/s/maxQueue: maxQueue needs maxConcurrency: it is the queue in front of those slots",
    ]);
    expect(
      await problems(
        "s: {handler: ./steps.mjs#inc, fallback: other}\nother: {handler: ./steps.mjs#inc}",
        "responder: s",
      ),
    ).toEqual([
      '/spec/steps/s/fallback: "other" is not a step of kind error: a fallback runs only when the step fails, and a flow step would run for every event',
    ]);
    expect(await problems("s: {handler: ./steps.mjs#inc, fallback: ghost}")).toEqual([
      '/spec/steps/s/fallback: unknown fallback step "ghost": name a step of kind error, or give {value: ...}',
    ]);
  });
});

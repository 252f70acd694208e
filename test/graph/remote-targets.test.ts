import { afterEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import {
  type BreakerState,
  Bulkhead,
  defaultBreaker,
  loadUndici,
  RemoteTargets,
  TargetBreaker,
} from "../../src/graph/resilience/index.js";
import { hang, startUpstream } from "../helpers/upstream.js";

await loadUndici();

const origin = "http://127.0.0.1:9";
const breaker = { ...defaultBreaker, volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeoutMs: 5_000 };

/** A claim's getter, or the test fails on the problem it returned. */
function getter(claimed: ReturnType<RemoteTargets["claim"]>) {
  if (typeof claimed === "string") throw new Error(claimed);
  return claimed;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a graph's remote targets", () => {
  it("agree per origin: a second step with another breaker or target is a problem naming the first", () => {
    const targets = new RemoteTargets("g");
    expect(typeof targets.claim(origin, "a", { breaker, limits: { maxConcurrency: 2 } })).toBe("function");
    expect(typeof targets.claim(origin, "b", {})).toBe("function");
    expect(typeof targets.claim(origin, "c", { breaker: { ...breaker } })).toBe("function");
    expect(targets.claim(origin, "d", { breaker: false })).toBe(
      `step "a" calls ${origin} too, with another breaker: steps that call one target must agree on its breaker (or only one of them sets it)`,
    );
    expect(targets.claim(origin, "e", { limits: { maxConcurrency: 3 } })).toBe(
      `step "a" calls ${origin} too, with another target: steps that call one target must agree on its target (or only one of them sets it)`,
    );
    expect(typeof targets.claim("http://other:1", "f", { breaker: false })).toBe("function");
  });

  it("are made on first use, once, with the first settings any step gave", () => {
    const observed: string[] = [];
    const targets = new RemoteTargets(
      "g",
      (graph, target) => (state) => observed.push(`${graph} ${target} ${state}`),
    );
    getter(targets.claim(origin, "a", {}));
    const open = getter(targets.claim(origin, "b", { breaker, limits: { maxConcurrency: 2 } }));
    const target = open();
    expect(open()).toBe(target);
    expect(target.origin).toBe(origin);
    expect(target.breaker?.settings).toEqual(breaker);
    expect(target.bulkhead?.limits).toEqual({ maxConcurrency: 2, maxQueue: 2 });
    expect(target.bulkhead?.name).toBe(`target ${origin}`);
    expect(observed).toEqual([`g ${origin} closed`]);
  });

  it("use the default breaker and no bulkhead unless told, and no breaker when told false", () => {
    const targets = new RemoteTargets("g");
    const plain = getter(targets.claim(origin, "a", {}))();
    expect(plain.breaker?.settings).toEqual(defaultBreaker);
    expect(plain.bulkhead).toBeUndefined();
    const bare = getter(
      targets.claim("http://bare:1", "b", { breaker: false, limits: { maxConcurrency: 1, maxQueue: 0 } }),
    )();
    expect(bare.breaker).toBeUndefined();
    expect(bare.bulkhead?.limits).toEqual({ maxConcurrency: 1, maxQueue: 0 });
  });

  it("say, per target and per step, who calls it and how its breaker and bulkhead stand", () => {
    const targets = new RemoteTargets("g");
    const open = getter(targets.claim(origin, "a", { limits: { maxConcurrency: 2, maxQueue: 1 } }));
    getter(targets.claim(origin, "b", {}));
    const bare = getter(targets.claim("http://bare:1", "c", { breaker: false }));
    expect(targets.describe()).toEqual([
      { target: origin, steps: ["a", "b"], breaker: { state: "closed" }, bulkhead: null },
      { target: "http://bare:1", steps: ["c"], breaker: null, bulkhead: null },
    ]);
    expect([targets.breakerOf("a"), targets.breakerOf("c"), targets.breakerOf("nobody")]).toEqual([
      "closed",
      undefined,
      undefined,
    ]);
    open();
    bare();
    expect(targets.describe()[1]).toEqual({
      target: "http://bare:1",
      steps: ["c"],
      breaker: null,
      bulkhead: null,
    });
    expect(targets.breakerOf("c")).toBeUndefined();
    expect(targets.describe()[0]).toEqual({
      target: origin,
      steps: ["a", "b"],
      breaker: { state: "closed", window: { fires: 0, successes: 0, failures: 0, rejects: 0 } },
      bulkhead: { active: 0, queued: 0, maxConcurrency: 2, maxQueue: 1 },
    });
    expect(targets.breakerOf("b")).toBe("closed");
  });

  it("refuse new calls once the graph closed, naming the graph and the target", async () => {
    const targets = new RemoteTargets("g");
    const used = getter(targets.claim(origin, "a", {}));
    const unused = getter(targets.claim("http://later:1", "b", {}));
    const bare = getter(targets.claim("http://bare:1", "c", { breaker: false }));
    const pool = used().pool;
    const barePool = bare().pool;
    await targets.close();
    expect([pool.closed, barePool.closed]).toEqual([true, true]);
    expect(() => unused()).toThrow(
      new SluiceError("SLUICE_ERR_INTERNAL", 'graph "g" is closed: no new calls to http://later:1'),
    );
  });
});

describe("a graph's remote targets when the graph closes", () => {
  it("destroy a pool that does not close in 2 s: a request still hanging then fails", async () => {
    const up = await startUpstream(hang);
    const targets = new RemoteTargets("g");
    const { pool } = getter(targets.claim(up.url, "a", {}))();
    const hanging = pool.request({ path: "/", method: "GET" }).then(
      () => "answered",
      (error: Error) => `failed: ${error.name}`,
    );
    await vi.waitFor(() => expect(up.requests).toBe(1));
    await targets.close();
    expect(await hanging).toMatch(/^failed: /);
    expect(pool.destroyed).toBe(true);
  });

  it("leave nothing that keeps the process alive once their pools closed", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const targets = new RemoteTargets("g");
    getter(targets.claim(origin, "a", {}))();
    const before = timers();
    await targets.close();
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe("a target's breaker", () => {
  it("counts a 500 of ours as the target's failure, a 4xx not, and says when it probes again", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const states: BreakerState[] = [];
    const target = new TargetBreaker(origin, breaker, (state) => states.push(state));
    await expect(
      target.fire(() => Promise.reject(new SluiceError("SLUICE_ERR_INPUT", "caller's"))),
    ).rejects.toThrow("caller's");
    expect(target.state).toBe("closed");
    await expect(
      target.fire(() => Promise.reject(new SluiceError("SLUICE_ERR_INTERNAL", "ours"))),
    ).rejects.toThrow("ours");
    expect([target.state, target.refusing]).toEqual(["open", true]);
    vi.advanceTimersByTime(1_500);
    const refused = await target.fire(() => Promise.resolve("not called")).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: "SLUICE_ERR_CIRCUIT_OPEN",
      status: 503,
      retryAfter: 4,
      message: `the circuit to ${origin} is open (too many failures); next probe in 4 s`,
    });
    expect(target.describe()).toMatchObject({ state: "open", window: { fires: 3, failures: 1 } });
    vi.advanceTimersByTime(3_500);
    expect(target.state).toBe("half-open");
    expect(target.openError().message).toBe(`the circuit to ${origin} is half-open: a probe is in flight`);
    expect(await target.fire(() => Promise.resolve("back"))).toBe("back");
    expect(states).toEqual(["closed", "open", "half-open", "closed"]);
    target.close();
  });
});

describe("a bulkhead's waiting call", () => {
  it("runs to its end once it got its turn, even past the deadline it waited under", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const bulkhead = new Bulkhead("t", { maxConcurrency: 1, maxQueue: 1 });
    const later = (ms: number, value: string) => () =>
      new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));
    const first = bulkhead.run(later(50, "first"));
    const second = bulkhead.run(later(100, "second"), { deadline: Date.now() + 100 });
    await vi.advanceTimersByTimeAsync(50);
    expect(await first).toBe("first");
    await vi.advanceTimersByTimeAsync(100); // its deadline (at 100) passes while it runs
    expect(await second).toBe("second");
  });
});

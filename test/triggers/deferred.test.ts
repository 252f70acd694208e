import { describe, expect, it } from "vitest";
import type { EventHandler, Trigger, TriggerState } from "../../src/triggers/contract.js";
import { DeferredTrigger } from "../../src/triggers/deferred.js";
import type { TriggerHealth } from "../../src/triggers/health.js";

/** A trigger that records what it was asked to do. */
class Recorder implements Trigger {
  readonly kind = "test";
  readonly name = "test:real";
  state: TriggerState = "created";
  readonly health: TriggerHealth = { condition: "running", since: new Date(0).toISOString() };
  readonly calls: string[] = [];
  async start(_handler: EventHandler) {
    this.calls.push("start");
    this.state = "running";
  }
  async drain() {
    this.calls.push("drain");
    this.state = "draining";
  }
  async close() {
    this.calls.push("close");
    this.state = "closed";
  }
}

describe("a trigger imported when it starts", () => {
  it("makes the real trigger on start and hands it every call", async () => {
    const real = new Recorder();
    let made = 0;
    const trigger = new DeferredTrigger("test", "test:provisional", async () => {
      made++;
      return real;
    });
    expect([trigger.name, trigger.state, made]).toEqual(["test:provisional", "created", 0]);
    await trigger.start(async () => undefined);
    expect([trigger.name, trigger.state, made]).toEqual(["test:real", "running", 1]);
    // Its health is the real trigger's, since when that one says.
    expect(trigger.health).toBe(real.health);
    await trigger.drain();
    await trigger.close();
    expect(real.calls).toEqual(["start", "drain", "close"]);
    expect(trigger.state).toBe("closed");
  });

  it("never starts the real trigger when closed while it was being imported", async () => {
    const real = new Recorder();
    let imported!: () => void;
    const trigger = new DeferredTrigger(
      "test",
      "test:provisional",
      () => new Promise<Trigger>((resolve) => (imported = () => resolve(real))),
    );
    const starting = trigger.start(async () => undefined);
    await trigger.close();
    imported();
    await starting;
    expect(real.calls).toEqual([]);
    expect(trigger.state).toBe("closed");
  });

  it("fails its start when the real trigger cannot be made, and closes cleanly", async () => {
    const trigger = new DeferredTrigger("test", "test:provisional", async () => {
      throw new Error("no such module");
    });
    await expect(trigger.start(async () => undefined)).rejects.toThrow("no such module");
    await trigger.drain();
    await trigger.close();
    expect(trigger.state).toBe("closed");
  });
});

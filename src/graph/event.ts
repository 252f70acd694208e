import { randomUUID } from "node:crypto";
import type { GraphEvent } from "./contract.js";

/** What a trigger or a caller knows about an event; the rest gets defaults. */
export type EventInit = Partial<GraphEvent> & { body?: unknown };

/** A complete event: an id (generated when absent), the time, and HTTP-ish defaults. */
export function makeEvent(init: EventInit): GraphEvent {
  return {
    id: init.id ?? randomUUID(),
    body: init.body,
    path: init.path ?? "/",
    method: init.method ?? "POST",
    headers: init.headers ?? {},
    key: init.key,
    time: init.time ?? Date.now(),
    trigger: init.trigger ?? { kind: "http" },
  };
}

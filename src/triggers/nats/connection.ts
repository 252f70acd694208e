import { connect, type NatsConnection } from "@nats-io/transport-node";
import { SluiceError } from "../../errors.js";

/**
 * A connection named `sluice-<client>` (a graph's name, or a role), reconnecting for ever once
 * made. A server that cannot be reached at start is an error that says which server: nats.js
 * itself says only "connection refused".
 *
 * `noAsyncTraces`: nats.js otherwise builds an `Error` when every request starts, only to give
 * a later timeout the caller's stack. Without that capture a JetStream pipe spent 0.88x the
 * CPU per event (bench/README.md); sluice's errors say what and where without it.
 */
export async function connectNats(url: string, client: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: url,
      name: `sluice-${client}`,
      maxReconnectAttempts: -1,
      noAsyncTraces: true,
    });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new SluiceError("SLUICE_ERR_INTERNAL", `cannot connect to NATS at ${url}: ${why}`, { cause });
  }
}

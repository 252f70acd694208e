import { request } from "undici";
import { SluiceError } from "../../errors.js";
import type { GraphEvent } from "../contract.js";
import type { RemoteStep } from "../document.js";
import type { BuildEnv } from "./env.js";
import { noLifecycle, type StepRuntime } from "./runtime.js";

/**
 * A remote step: the body goes to `url` as JSON over undici's pooled keep-alive client, and
 * the JSON answer becomes the step's output. Timeouts come from the step's `timeout`.
 * (Retries, circuit breakers and bulkheads are the resilience layer's job.)
 */
export function buildRemote(spec: RemoteStep, _at: string, name: string, _env: BuildEnv): StepRuntime {
  const method = (spec.method ?? "POST").toUpperCase() as
    | "POST"
    | "GET"
    | "PUT"
    | "PATCH"
    | "DELETE"
    | "HEAD";
  const hasBody = method !== "GET" && method !== "HEAD";
  const headers = { "content-type": "application/json", ...spec.headers };
  const run = async (input: unknown, event: GraphEvent) => {
    const response = await request(spec.url, {
      method,
      // The request id and W3C trace context follow the event to every remote step.
      headers: withTrace(headers, event),
      body: hasBody ? JSON.stringify(input) : null,
    });
    const type = String(response.headers["content-type"] ?? "");
    const payload = type.includes("json") ? await response.body.json() : await response.body.text();
    if (response.statusCode >= 400) {
      const detail = typeof payload === "string" ? payload : JSON.stringify(payload);
      // The caller's mistake stays theirs (4xx); an upstream failure is a bad gateway.
      const status = response.statusCode < 500 ? response.statusCode : 502;
      throw new SluiceError(
        "SLUICE_ERR_STEP_FAILED",
        `remote ${name} answered ${response.statusCode}: ${detail.slice(0, 200)}`,
        {
          status,
        },
      );
    }
    return payload;
  };
  return { ...noLifecycle, run };
}

const traced = ["x-request-id", "traceparent", "tracestate"] as const;

function withTrace(headers: Record<string, string>, event: GraphEvent): Record<string, string> {
  let out = headers;
  for (const name of traced) {
    const value = event.headers[name];
    if (value !== undefined) {
      if (out === headers) out = { ...headers };
      out[name] = value;
    }
  }
  return out;
}

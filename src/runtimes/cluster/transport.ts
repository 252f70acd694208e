import { request as httpRequest } from "node:http";
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** What the API server answered: a status and the parsed JSON body (or the text when not JSON). */
export interface Answer {
  status: number;
  body: unknown;
}

/** An error shaped like client-node's ApiException, so clusterError reads both alike. */
export class ApiError extends Error {
  /** The server's Retry-After header (seconds), when it sent one. */
  retryAfter: string | undefined;

  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === "object" && body !== null && "message" in body ? String(body.message) : `HTTP ${code}`,
    );
  }
}

/** One keep-alive agent per kubeconfig: a deploy of 100 functions then pays for one TLS handshake, not 200. */
const agents = new WeakMap<KubeConfig, Agent>();

/**
 * The kubeconfig's request settings (credentials, TLS) with a shared keep-alive agent in place
 * of the fresh one the client makes per call. The credentials are read on every call, so a
 * token refreshed by an exec plugin is picked up.
 */
async function settingsFor(config: KubeConfig): Promise<RequestOptions> {
  const settings: RequestOptions = {};
  await config.applyToHTTPSOptions(settings);
  const made = settings.agent;
  if (made instanceof Agent) {
    let shared = agents.get(config);
    if (!shared) {
      shared = new Agent({ ...made.options, keepAlive: true, maxSockets: 8 });
      agents.set(config, shared);
    }
    settings.agent = shared;
  }
  return settings;
}

/**
 * A streamed GET (pod logs): `onData` gets each chunk as it arrives; resolves when the server
 * ends the stream, rejects with an ApiError when it answers an error status.
 */
export async function stream(
  config: KubeConfig,
  path: string,
  query: Record<string, string>,
  onData: (chunk: Buffer) => void,
  signal?: AbortSignal,
): Promise<void> {
  const server = config.getCurrentCluster()?.server ?? "";
  const url = new URL(server.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  // A log stream holds its connection for long: it gets its own, not one of the shared agent's.
  const settings: RequestOptions = {};
  await config.applyToHTTPSOptions(settings);
  const request = url.protocol === "http:" ? httpRequest : httpsRequest;
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { ...settings, method: "GET", ...(signal ? { signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = { message: text.trim() };
          try {
            body = JSON.parse(text);
          } catch {}
          reject(new ApiError(status, body));
        });
        return;
      }
      res.on("data", onData);
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", (error) => (signal?.aborted ? resolve() : reject(error)));
    req.end();
  });
}

/** How often a request the server asked to retry (429, with Retry-After) is tried again. */
const maxRetries = 5;

/**
 * Plain JSON requests to the API server with the kubeconfig's credentials and TLS settings.
 * Objects go to the server as the user wrote them: client-node's typed serializer would drop
 * fields it does not model (`x-kubernetes-*` in a CRD, a misspelt field in a Deployment),
 * and the point of applying to a real server is that the server, not the client, judges them.
 */
export async function send(
  config: KubeConfig,
  method: string,
  path: string,
  options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
): Promise<Answer> {
  // The API server answers 429 with Retry-After while it is busy or while the watch cache of a
  // just-created resource (a new CRD) fills: client-go waits and retries, and so do we.
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnce(config, method, path, options);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 429 || attempt >= maxRetries) throw error;
      const seconds = Math.min(Number(error.retryAfter) || 1, 10);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

async function sendOnce(
  config: KubeConfig,
  method: string,
  path: string,
  options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string },
): Promise<Answer> {
  const server = config.getCurrentCluster()?.server ?? "";
  const url = new URL(server.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(options.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, value);
  const settings = await settingsFor(config);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(settings.headers as Record<string, string> | undefined),
    accept: "application/json",
    // A length, not chunked encoding: the server may leave a chunked DELETE body unread on a
    // kept-alive connection, and the next request on it would then be garbage (400).
    ...(payload === undefined
      ? {}
      : {
          "content-type": options.contentType ?? "application/json",
          "content-length": String(Buffer.byteLength(payload)),
        }),
  };
  const request = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { ...settings, method, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page, "404 page not found"): keep the text.
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ status, body });
        else {
          const error = new ApiError(status, typeof body === "string" ? { message: body.trim() } : body);
          error.retryAfter = res.headers["retry-after"];
          reject(error);
        }
      });
    });
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("no answer in 60 s"), { code: "ETIMEDOUT" })),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

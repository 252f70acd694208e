import { request as httpRequest } from "node:http";
import type { RequestOptions } from "node:https";
import { request as httpsRequest } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** What the API server answered: a status and the parsed JSON body (or the text when not JSON). */
export interface Answer {
  status: number;
  body: unknown;
}

/** An error shaped like client-node's ApiException, so clusterError reads both alike. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === "object" && body !== null && "message" in body ? String(body.message) : `HTTP ${code}`,
    );
  }
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
  const server = config.getCurrentCluster()?.server ?? "";
  const url = new URL(server.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(options.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, value);
  const settings: RequestOptions = {};
  await config.applyToHTTPSOptions(settings);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(settings.headers as Record<string, string> | undefined),
    accept: "application/json",
    ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
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
        else reject(new ApiError(status, typeof body === "string" ? { message: body.trim() } : body));
      });
    });
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("no answer in 60 s"), { code: "ETIMEDOUT" })),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

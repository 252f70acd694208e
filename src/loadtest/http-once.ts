/**
 * One HTTP request on a connection of its own (no keep-alive pool that would hold the
 * process open after the bench): the readiness probe and the first request before a load.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** The status and the start of the body (enough to show a user what went wrong). */
export interface OnceResponse {
  status: number;
  body: string;
}

const KEEP_BODY_CHARS = 300;

/** Sends one request; rejects on a network error or after `timeoutMs`. */
export function httpOnce(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number } = {},
): Promise<OnceResponse> {
  const send = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < KEEP_BODY_CHARS) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, KEEP_BODY_CHARS) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";

/** How the upstream answers one request; `body` is what the request carried. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** Answers the request's JSON body back (or `{}` when there was none). */
export const echo: Behaviour = (_req, res, body) => {
  res.setHeader("content-type", "application/json");
  res.end(body.length ? body : "{}");
};

/** Answers `status` with a short text body. */
export const status =
  (code: number): Behaviour =>
  (_req, res) => {
    res.statusCode = code;
    res.end(`upstream says ${code}`);
  };

/** Echoes after `ms`. */
export const slow =
  (ms: number, then: Behaviour = echo): Behaviour =>
  (req, res, body) => {
    setTimeout(() => then(req, res, body), ms);
  };

/** Never answers. */
export const hang: Behaviour = () => {};

/** Drops the connection without an answer. */
export const reset: Behaviour = (req) => {
  req.socket.destroy();
};

/**
 * A real local HTTP server that misbehaves on purpose, and counts what reached it: requests,
 * how many were in flight at once, and how many its caller gave up on (closed before the
 * answer was sent).
 */
export interface Upstream {
  url: string;
  /** Requests that reached the server. */
  readonly requests: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Requests whose connection closed before they were answered. */
  readonly abandoned: number;
  /** Headers of every request, in arrival order. */
  readonly headers: IncomingHttpHeaders[];
  readonly paths: string[];
  readonly bodies: Buffer[];
  /** Changes how the next requests are answered. */
  behave(behaviour: Behaviour): void;
}

/** Starts an upstream on a free loopback port; it is closed after the test. */
export async function startUpstream(behaviour: Behaviour = echo): Promise<Upstream> {
  let current = behaviour;
  const state = { requests: 0, inFlight: 0, maxInFlight: 0, abandoned: 0 };
  const headers: IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    state.requests++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    headers.push(req.headers);
    paths.push(req.url ?? "");
    res.on("close", () => {
      state.inFlight--;
      if (!res.writableFinished) state.abandoned++;
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      bodies.push(body);
      current(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get abandoned() {
      return state.abandoned;
    },
    headers,
    paths,
    bodies,
    behave: (next) => {
      current = next;
    },
  };
}

import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { NuclioHarness } from "./harness.js";

/** Go's canonical header case (`x-sluice-step` → `X-Sluice-Step`), as Nuclio's http trigger passes them. */
function canonical(name: string): string {
  return name
    .split("-")
    .map((part) => (part ? part[0]?.toUpperCase() + part.slice(1).toLowerCase() : part))
    .join("-");
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The harness's `http` trigger: a loopback HTTP server whose requests become events (method,
 * path, headers, content type, body) and whose answers are the handler's responses, so a
 * gateway can call a function under the harness at `url`.
 */
export async function httpTrigger(harness: NuclioHarness): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    bodyOf(req)
      .then((body) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers[canonical(name)] = Array.isArray(value) ? value.join(", ") : value;
        }
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        return harness.send({
          body,
          contentType: req.headers["content-type"] ?? "",
          headers,
          method: req.method ?? "GET",
          path: url.pathname,
          trigger: { kind: "http", name: "http" },
        });
      })
      .then(
        (response) => {
          res.writeHead(response.status, { ...response.headers, "content-type": response.contentType });
          res.end(response.body);
        },
        (error: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

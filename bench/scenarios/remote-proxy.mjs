// The baseline of the remote scenario: a bare node:http server that forwards each request to
// the upstream over an undici Pool (keep-alive) and answers with what came back. It is what a
// hand-written proxy does, with none of sluice's graph, breaker, retries or bulkhead.
// Usage: node remote-proxy.mjs <upstream-url>; it prints its own URL.
import { createServer } from "node:http";
import { Pool } from "undici";

const upstream = new URL(process.argv[2] ?? "");
const pool = new Pool(upstream.origin, { connections: 128 });

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    try {
      const answer = await pool.request({
        path: upstream.pathname,
        method: "POST",
        headers: { "content-type": req.headers["content-type"] ?? "application/json" },
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, {
        "content-type": answer.headers["content-type"] ?? "application/json",
        "content-length": body.length,
      });
      res.end(body);
    } catch (error) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`proxy: serving on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  pool.close();
});

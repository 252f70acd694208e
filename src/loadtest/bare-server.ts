/**
 * The baseline of `sluice bench --baseline`, run as a child process: plain node:http that
 * reads the body, parses it as JSON and answers it, with the headers sluice sends. Whatever
 * the gateway costs above this is its own price. It prints its URL, and stops on SIGTERM.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let payload: string;
    let status = 200;
    try {
      // A bodiless request (a GET) is answered with null, as a graph answers it with its input.
      const text = Buffer.concat(chunks).toString("utf8");
      payload = JSON.stringify(text === "" ? null : JSON.parse(text));
    } catch {
      status = 400;
      payload = '{"error":"the body is not valid JSON"}';
    }
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      "x-request-id": randomUUID(),
    });
    res.end(payload);
  });
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`bare: serving on http://127.0.0.1:${port}\n`);
});

process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});

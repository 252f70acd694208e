// The bare baseline of the generate scenario: plain node:http that reads a generate request
// and streams the fake model's tokens as server-sent events, each event the JSON sluice sends,
// waiting for `drain` when the socket is full. Run as a child process; it prints its URL.
import { createServer } from "node:http";
import { tokens } from "../graphs/generate-model.mjs";

async function stream(res, request) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for await (const text of tokens(request)) {
    if (!res.write(`data: ${JSON.stringify({ model_name: "tokens", text_output: text })}\n\n`)) {
      await new Promise((resolve) => res.once("drain", resolve));
    }
  }
  res.end();
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let request;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(422, { "content-type": "application/json" });
      res.end('{"error":"bad JSON"}');
      return;
    }
    void stream(res, request);
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`bare sse: serving on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});

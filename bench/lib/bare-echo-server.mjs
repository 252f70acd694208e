// The bare baseline of the big-tensor scenarios: plain node:http that reads the whole body and
// echoes its bytes, with the headers sluice answers a binary tensor request with
// (application/octet-stream, Inference-Header-Content-Length). It neither parses the JSON
// header nor looks at the tensor: whatever sluice costs above this is the price of reading the
// request as a tensor and writing its answer. A child process that prints its URL.
import { createServer } from "node:http";

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "inference-header-content-length": req.headers["inference-header-content-length"] ?? body.length,
      "content-length": body.length,
    });
    res.end(body);
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`bare echo: serving on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});

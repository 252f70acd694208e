// The flapping dependency of the remote soak: it cycles through healthy (answers its JSON
// body back), failing (503), hanging (never answers) and resetting (drops the connection),
// each for PHASE_SECONDS. Usage: node remote-flaky.mjs [phaseSeconds]; it prints its URL.
import { createServer } from "node:http";

const phaseMs = Number(process.argv[2] ?? 10) * 1000;
const phases = ["healthy", "failing", "healthy", "hanging", "healthy", "resetting"];
const started = Date.now();
const phase = () => phases[Math.floor((Date.now() - started) / phaseMs) % phases.length];

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    switch (phase()) {
      case "failing":
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("unavailable");
        return;
      case "hanging":
        return; // the caller's timeout has to end it
      case "resetting":
        req.socket.destroy();
        return;
      default: {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      }
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`flaky: serving on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});

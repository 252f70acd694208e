// autocannon with a binary body, for bench/lib/one-core.ts: its command line reads a body file
// (-i) as UTF-8 text, which mangles bytes. Prints autocannon's result as JSON, as its -j does.
// Usage: node autocannon-bytes.mjs <url> <body file> <seconds> <connections> <headers as JSON>
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const [url, bodyFile, seconds, connections, headers] = process.argv.slice(2);
const result = await autocannon({
  url,
  method: "POST",
  body: readFileSync(bodyFile),
  headers: JSON.parse(headers),
  connections: Number(connections),
  duration: Number(seconds),
});
process.stdout.write(JSON.stringify(result));

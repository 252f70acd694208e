// Our stand-in for Nuclio's Node.js wrapper (pkg/processor/runtime/nodejs/js/wrapper.js),
// written from its contract (see harness.ts): `node wrapper.cjs <socket> <handler file> <handler name>`.
// Like the real one it calls initContext(context) once without awaiting it, calls
// handler(context, event) without awaiting or catching its promise (a rejection ends this
// process, as an unhandled rejection does on Node 20), and waits for context.callback.
"use strict";
const net = require("node:net");
const { EventEmitter } = require("node:events");

const json = "application/json";

function Response(
  body = null,
  headers = null,
  contentType = "text/plain",
  statusCode = 200,
  bodyEncoding = "text",
) {
  this.body = body;
  this.headers = headers;
  this.content_type = contentType;
  this.status_code = statusCode;
  this.body_encoding = bodyEncoding;
  if (typeof this.body !== "string") {
    this.body = JSON.stringify(this.body);
    this.content_type = json;
  }
}

let socket;
const callbacks = new EventEmitter();

function write(type, contents) {
  socket.write(`${type}${contents}\n`);
}

function logAt(level) {
  return (message, withData = {}) =>
    write("l", JSON.stringify({ datetime: new Date().toISOString(), level, message, with: withData }));
}

const context = {
  userData: {},
  callback: async (output) => callbacks.emit("callback", output),
  Response,
  logger: {
    error: logAt("error"),
    warn: logAt("warning"),
    info: logAt("info"),
    debug: logAt("debug"),
    errorWith: logAt("error"),
    warnWith: logAt("warning"),
    infoWith: logAt("info"),
    debugWith: logAt("debug"),
  },
};

/** The response record the processor reads, from what the handler called back with. */
function responseOf(output) {
  const response = {
    body: "",
    content_type: "text/plain",
    headers: {},
    status_code: 200,
    body_encoding: "text",
  };
  const isStatusReply = Array.isArray(output) && output.length === 2 && typeof output[0] === "number";
  if (typeof output === "string" || Buffer.isBuffer(output)) response.body = output;
  else if (isStatusReply) {
    response.status_code = output[0];
    const body = output[1];
    if (typeof body === "string" || Buffer.isBuffer(body)) response.body = body;
    else {
      response.body = JSON.stringify(body);
      response.content_type = json;
    }
  } else if (output instanceof Response) Object.assign(response, output);
  else {
    response.body = JSON.stringify(output);
    response.content_type = json;
  }
  if (Buffer.isBuffer(response.body)) {
    response.body = response.body.toString("base64");
    response.body_encoding = "base64";
  }
  return response;
}

async function handleEvent(handlerFunction, event) {
  let response;
  try {
    event.body = Buffer.from(event.body, "base64");
    event.timestamp = new Date(event.timestamp * 1000);
    const start = Date.now();
    const waiter = new Promise((resolve) => callbacks.once("callback", resolve));
    handlerFunction(context, event); // not awaited, not caught: as in Nuclio
    const output = await waiter;
    write("m", JSON.stringify({ duration: Math.max(1e-11, (Date.now() - start) / 1000) }));
    response = responseOf(output);
  } catch (error) {
    response = {
      body: `Error in handler: ${error}${error?.stack ? `\n${error.stack}` : ""}`,
      content_type: "text/plain",
      headers: {},
      status_code: 500,
      body_encoding: "text",
    };
  }
  write("r", JSON.stringify(response));
}

function main([socketPath, handlerPath, handlerName]) {
  const mod = require(handlerPath);
  const handlerFunction = mod[handlerName];
  if (typeof handlerFunction !== "function")
    throw new Error(`no function "${handlerName}" in ${handlerPath}`);
  if (typeof mod.initContext === "function") mod.initContext(context);
  socket = net.connect(socketPath);
  socket.on("ready", () => write("s", ""));
  // Events are newline-delimited JSON, one at a time (the processor waits for each answer).
  let pending = "";
  let queue = Promise.resolve();
  socket.on("data", (chunk) => {
    pending += chunk.toString("utf8");
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== "") {
        const event = JSON.parse(line);
        queue = queue.then(() => handleEvent(handlerFunction, event));
      }
      newline = pending.indexOf("\n");
    }
  });
}

const args = process.argv.slice(2);
if (args.length !== 3) {
  console.error("error: wrong number of arguments");
  process.exit(1);
}
main(args);

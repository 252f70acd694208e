import { createServer, type RequestListener, type Server } from "node:http";
import { SluiceError } from "../../errors.js";
import type { AdminOptions } from "./app.js";

/**
 * The admin plane's handler, which loads express and builds the app on its first request: a
 * gateway nobody asks for metrics or graphs does not carry express (~10 MB of its idle RSS).
 * The first request waits for the load, tens of milliseconds.
 */
export function lazyAdmin(options: AdminOptions): RequestListener {
  let app: Promise<RequestListener> | undefined;
  return (req, res) => {
    app ??= import("./app.js").then(({ createAdminApp }) => createAdminApp(options));
    app
      .then((handle) => handle(req, res))
      .catch((error: unknown) => {
        options.logger.error({ err: error }, "the admin plane failed to load");
        if (res.headersSent) return void res.destroy();
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "the admin plane failed to load (see the gateway's log)" }));
      });
  };
}

/**
 * Serves the admin plane (an express app, or `lazyAdmin`'s handler) on `host:port`, 127.0.0.1
 * unless told otherwise: the admin plane can replace graphs, so it is not exposed by
 * accident. Resolves once listening.
 * @throws SluiceError naming the port when it is taken or not allowed.
 */
export function startAdmin(handler: RequestListener, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE" && error.code !== "EACCES") return reject(error);
      const why = error.code === "EADDRINUSE" ? "is already in use" : "may not be used by this process";
      const hint = "choose another with --admin-port";
      reject(
        new SluiceError("SLUICE_ERR_USAGE", `admin port ${port} on ${host} ${why}`, { cause: error, hint }),
      );
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      // Later errors belong to whoever owns the running server, not to this start.
      server.off("error", failed);
      resolve(server);
    });
  });
}

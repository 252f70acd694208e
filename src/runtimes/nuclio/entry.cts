/**
 * The handler file Nuclio's wrapper `require`s (`dist/runtimes/nuclio/entry.cjs`, handler
 * `entry.cjs:handler`): sluice is ES modules and Node 20 cannot `require` one, so this CommonJS
 * shim `import()`s the entry (entry.ts) and hands it the context and each event once it has
 * loaded; events that arrive before wait for it. If the entry cannot load, every event is
 * answered 500 with the reason and the reason is logged once: the worker never hangs.
 */
import type { NuclioContext, NuclioEvent } from "./nuclio-api.js";

interface Entry {
  initContext(context: NuclioContext): Promise<void>;
  handler(context: NuclioContext, event: NuclioEvent): void;
}

let entry: Promise<Entry> | undefined;

function load(context: NuclioContext): Promise<Entry> {
  if (entry === undefined) {
    entry = import("./entry.js").then((m: Entry) => {
      void m.initContext(context);
      return m;
    });
    entry.catch((error: unknown) =>
      context.logger.error(`sluice: the Nuclio entry did not load: ${String(error)}`),
    );
  }
  return entry;
}

function initContext(context: NuclioContext): void {
  void load(context).catch(() => {});
}

function handler(context: NuclioContext, event: NuclioEvent): void {
  load(context)
    .then(
      (m) => m.handler(context, event),
      (error: unknown) => {
        const message = `the Nuclio entry did not load: ${error instanceof Error ? error.message : String(error)}`;
        context.callback(
          new context.Response(JSON.stringify({ error: message }), {}, "application/json", 500),
        );
      },
    )
    .catch(() => {});
}

export = { initContext, handler };

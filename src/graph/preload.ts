import { loadCel } from "./cel.js";
import type { CodeRef, GraphDocument, StepBase } from "./document.js";
import { loadUndici } from "./resilience/index.js";

/** The built-in steps whose arguments are CEL expressions. */
const celBuiltins = new Set(["builtin:map", "builtin:filter"]);

type AnyStep = StepBase & CodeRef & { when?: unknown; routes?: Record<string, AnyStep> };

/**
 * Imports the heavy optional modules a schema-valid document needs before it is compiled (the
 * compile itself is synchronous where it uses them): the CEL engine for `when` conditions and
 * the map and filter built-ins, undici for remote steps and for tasks placed in Nuclio (which
 * are called the same way). A graph without them never loads them: a process serving such
 * graphs is ~15 MB smaller. A use this scan misses fails the compile with SLUICE_ERR_INTERNAL.
 */
export async function preloadFor(doc: GraphDocument): Promise<void> {
  let cel = false;
  let remote = false;
  for (const step of stepsOf(doc)) {
    const code = step.class ?? step.handler;
    cel ||= step.when !== undefined || (code !== undefined && celBuiltins.has(code));
    remote ||= step.kind === "remote" || step.placement === "nuclio";
  }
  await Promise.all([cel ? loadCel() : undefined, remote ? loadUndici() : undefined]);
}

/** Every step, the graph's router (`topology: router`), and every route of a router. */
function* stepsOf(doc: GraphDocument): Generator<AnyStep> {
  const { steps = {}, router } = doc.spec;
  for (const step of [...Object.values(steps), ...(router ? [router] : [])] as AnyStep[]) {
    yield step;
    yield* Object.values(step.routes ?? {});
  }
}

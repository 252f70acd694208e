import type { CompiledGraph } from "../../graph/index.js";

/**
 * The broker-backed queues this process consumes (step → stream URL): all but those marked
 * `consume: false`, whose segments run elsewhere (a deployed function's trigger reads the
 * stream; `sluice deploy` marks them so in the gateway's copy of the graph).
 */
export function consumedQueues(graph: CompiledGraph): [string, string][] {
  const steps = graph.document.spec.steps ?? {};
  return [...graph.streams.brokerQueues].filter(([step]) => {
    const spec = steps[step];
    return !(spec?.kind === "queue" && spec.consume === false);
  });
}

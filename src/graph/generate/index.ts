/**
 * src/graph/generate: text generation through a graph (docs/generate.md). Steps before the
 * model pre-process the request, the model's `generate` yields chunks, and the steps after
 * it run on each chunk. The HTTP side (SSE, backpressure, disconnects) is the gateway's.
 */
export { type GeneratePlan, generatePlan } from "./plan.js";
export { type GenerateChunk, GenerationError, runGenerate } from "./run.js";

/**
 * src/gateway/generate: the text generation endpoints of the data plane
 * (specs/generate_rest.yaml, docs/generate.md): JSON and server-sent events.
 */
export { Generator, type GeneratorOptions } from "./generator.js";
export { type GenerateParameters, type GenerateRequest, parseGenerateRequest } from "./request.js";

/** src/graph/mlrun: reading MLRun serving functions into sluice graphs (docs/mlrun-import.md). */
export { importMlrunServing, type MlrunImport } from "./import.js";
export { type ClassMapping, defaultMappingFile, readClassMapping } from "./mapping.js";

import { stringify } from "yaml";

export type DocumentFormat = "yaml" | "json";

/**
 * A document as text: YAML (MLRun's function.yaml style, the default) or indented JSON.
 * YAML is written without line folding, so a base64 `functionSourceCode` stays one line.
 */
export function formatDocument(doc: unknown, format: DocumentFormat = "yaml"): string {
  return format === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
}

/** `json` for a `.json` file name, else `yaml`. */
export function formatOfFile(file: string): DocumentFormat {
  return file.toLowerCase().endsWith(".json") ? "json" : "yaml";
}

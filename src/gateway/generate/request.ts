import { SluiceError } from "../../errors.js";

/** `POST .../generate` and `.../generate_stream` bodies (specs/generate_rest.yaml). */
export interface GenerateRequest {
  text_input: string;
  parameters?: GenerateParameters;
  [field: string]: unknown;
}

/** The spec's parameters; others pass through to the model as they are. */
export interface GenerateParameters {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string[];
  details?: boolean;
  [parameter: string]: unknown;
}

/** The spec answers input validation errors 422. */
function invalid(message: string): SluiceError {
  return new SluiceError("SLUICE_ERR_INPUT", message, { status: 422 });
}

/** What a value is, for a message: `a string`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

const checks: Record<string, (value: unknown) => string | undefined> = {
  temperature: (v) => (typeof v === "number" && v >= 0 ? undefined : "a number of at least 0"),
  top_p: (v) => (typeof v === "number" && v >= 0 && v <= 1 ? undefined : "a number from 0 to 1"),
  max_tokens: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : "an integer of at least 1"),
  stop: (v) =>
    Array.isArray(v) && v.every((s) => typeof s === "string") ? undefined : "an array of strings",
  details: (v) => (typeof v === "boolean" ? undefined : "a boolean"),
};

/**
 * Checks a generate request as the spec describes it: `text_input` a string, `parameters` an
 * object whose known fields have their types and ranges. A mistake is a 422 naming the field.
 */
export function parseGenerateRequest(body: unknown): GenerateRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalid(`a generate request is a JSON object {text_input, parameters}, not ${kindOf(body)}`);
  }
  const request = body as Record<string, unknown>;
  if (typeof request.text_input !== "string") {
    throw invalid(
      request.text_input === undefined
        ? 'missing required field "text_input"'
        : `text_input must be a string, not ${kindOf(request.text_input)}`,
    );
  }
  const { parameters } = request;
  if (parameters !== undefined) {
    if (parameters === null || typeof parameters !== "object" || Array.isArray(parameters)) {
      throw invalid(`parameters must be an object, not ${kindOf(parameters)}`);
    }
    for (const [name, value] of Object.entries(parameters)) {
      const wanted = checks[name]?.(value);
      if (wanted) throw invalid(`parameters.${name} must be ${wanted}, got ${JSON.stringify(value)}`);
    }
  }
  return request as GenerateRequest;
}

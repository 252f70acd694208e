import { SluiceError } from "../errors.js";

/**
 * A JSON document still in the bytes it arrived in. The gateway hands a request body on in
 * this form when the graph's only reader of it is a remote step (src/graph/pass-through.ts),
 * and a remote step keeps its target's JSON answer so when nothing after it reads it: the
 * bytes then go on as they came, never parsed and written again. That costs nothing, and
 * keeps what JSON.parse would change (`12345678901234567890`, `1.0`, key order) as the
 * caller or the target wrote it.
 */
export class JsonBytes {
  #value: unknown;
  #parsed = false;

  constructor(
    readonly bytes: Buffer,
    /** The content-type the bytes came with (a JSON type). */
    readonly type: string,
  ) {}

  /**
   * The parsed document, for the rare reader that needs it (an error handler, a fallback
   * step): parsed on first use, once.
   * @throws SluiceError (400) when the bytes are not JSON: only a request's bytes are read so.
   */
  get value(): unknown {
    if (!this.#parsed) {
      try {
        this.#value = JSON.parse(this.bytes.toString("utf8"));
      } catch (error) {
        throw new SluiceError(
          "SLUICE_ERR_INPUT",
          `request body is not valid JSON: ${(error as Error).message}`,
        );
      }
      this.#parsed = true;
    }
    return this.#value;
  }

  /** What JSON.stringify writes for it: the document, not this wrapper. */
  toJSON(): unknown {
    return this.value;
  }
}

/** `value` itself, or the document a JsonBytes holds. */
export function parsedBody(value: unknown): unknown {
  return value instanceof JsonBytes ? value.value : value;
}

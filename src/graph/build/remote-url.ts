import { SluiceError } from "../../errors.js";
import type { GraphEvent } from "../contract.js";

/** A remote step's URL, split once at compile time into its origin and a path maker. */
export interface UrlTemplate {
  /** `scheme://host:port`: what pools, breakers and target limits are keyed by. */
  origin: string;
  /** The request path (with query) for one event. */
  path: (event: GraphEvent) => string;
}

/** `/v2/models/<name>[/versions/<v>]...`, as the Open Inference Protocol writes it. */
const modelInPath = /^\/v2\/models\/([^/]+)/;
const placeholder = /\{([^{}]*)\}/g;

/**
 * Parses `url`. Placeholders may appear only after the host: `{path}` (the event's path) and
 * `{model}` (the model named in it). Keeping the host fixed means a caller can never steer
 * the gateway to another machine, and the graph's targets are all known at compile time.
 * Returns a problem message instead when the URL cannot be used.
 */
export function parseUrlTemplate(url: string): UrlTemplate | string {
  const match = /^(https?:\/\/[^/?#]*)(.*)$/.exec(url);
  if (!match) return `"${url}" is not an http:// or https:// URL`;
  const [, authority = "", rest = ""] = match;
  if (authority.includes("{")) return `placeholders may appear only after the host, not in "${authority}"`;
  let origin: string;
  try {
    const parsed = new URL(authority);
    // new URL().origin would drop them silently, and the call would go out unauthenticated.
    if (parsed.username || parsed.password) {
      return `the url carries credentials (user:password@), which are never sent: put them in the step's headers`;
    }
    origin = parsed.origin;
  } catch {
    return `"${url}" is not a valid URL`;
  }
  const pathPart = rest === "" ? "/" : rest.startsWith("/") ? rest : `/${rest}`;
  const literals: string[] = [];
  const fills: ((event: GraphEvent) => string)[] = [];
  let last = 0;
  for (const found of pathPart.matchAll(placeholder)) {
    const name = found[1];
    if (name !== "path" && name !== "model") return `unknown placeholder {${name}}: use {path} or {model}`;
    literals.push(pathPart.slice(last, found.index));
    fills.push(name === "path" ? eventPath : modelName);
    last = (found.index ?? 0) + found[0].length;
  }
  if (fills.length === 0) return { origin, path: () => pathPart };
  literals.push(pathPart.slice(last));
  return {
    origin,
    path: (event) => {
      let out = literals[0] as string;
      for (let i = 0; i < fills.length; i++) {
        const fill = (fills[i] as (e: GraphEvent) => string)(event);
        // `http://h/api/{path}` with path `/x` is `/api/x`, not `/api//x`.
        out += out.endsWith("/") && fill.startsWith("/") ? fill.slice(1) : fill;
        out += literals[i + 1] as string;
      }
      return out;
    },
  };
}

/** Percent-encoded `/`, `\` and `.`: a target may decode them into a path escape. */
const encodedSeparator = /%(2f|5c|2e)/i;

/**
 * The event's path for `{path}`, refused (400) when it could climb out of the URL's prefix:
 * a `..` segment, an encoded slash, backslash or dot (`a%2F..%2Fadmin` reaches `/admin` on a
 * target that decodes it). The common path has no `%`, `\` or `..`: one scan each.
 */
function eventPath(event: GraphEvent): string {
  const path = event.path;
  if (path.includes("..") || path.includes("\\") || (path.includes("%") && encodedSeparator.test(path))) {
    throw new SluiceError(
      "SLUICE_ERR_INPUT",
      `path "${path}" may not contain "..", a backslash or an encoded "/", "\\" or "." (it would leave the remote step's prefix)`,
    );
  }
  return path;
}

function modelName(event: GraphEvent): string {
  const name = modelInPath.exec(event.path)?.[1];
  if (name === undefined) {
    throw new SluiceError(
      "SLUICE_ERR_MODEL_NOT_FOUND",
      `the step's url needs a model in the path (/v2/models/<name>/...), got "${event.path}"`,
    );
  }
  // Still percent-encoded as the caller sent it, and free of '/': safe in one path segment.
  return name;
}

import { SluiceError } from "../errors.js";
import { patterns } from "./schema/parts.js";
import { defaultProject, defaultTag } from "./types.js";

/** A reference to a stored function: `[project/]name`, then `:tag` or `@hash` (or neither). */
export interface FunctionRef {
  project: string;
  name: string;
  /** Given explicitly; a reference with neither tag nor hash means the `latest` tag. */
  tag?: string;
  /** A full hash or a prefix of at least 6 hex digits, as git allows. */
  hash?: string;
}

const nameRegex = new RegExp(patterns.name);
const tagRegex = new RegExp(patterns.tag);

/**
 * Parses `name`, `name:tag`, `name@hash` and `project/name...`.
 * @throws SluiceError (usage) naming what is wrong with the reference.
 */
export function parseFunctionRef(text: string): FunctionRef {
  const bad = (why: string) =>
    new SluiceError("SLUICE_ERR_USAGE", `"${text}" is not a function reference: ${why}`, {
      hint: "write name, name:tag, name@hash or project/name:tag",
    });
  let rest = text.trim();
  let project = defaultProject;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    project = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!nameRegex.test(project)) throw bad(`project "${project}" ${nameRule}`);
  }
  const at = rest.indexOf("@");
  const colon = rest.indexOf(":");
  if (at >= 0 && colon >= 0) throw bad("give a tag or a hash, not both");
  const cut = at >= 0 ? at : colon;
  const name = cut >= 0 ? rest.slice(0, cut) : rest;
  if (!nameRegex.test(name)) throw bad(`name "${name}" ${nameRule}`);
  if (at >= 0) {
    const hash = rest.slice(at + 1).toLowerCase();
    if (!/^[0-9a-f]{6,40}$/.test(hash)) throw bad("a hash is 6 to 40 hex digits");
    return { project, name, hash };
  }
  if (colon >= 0) {
    const tag = rest.slice(colon + 1);
    if (!tagRegex.test(tag) || tag.length > 128) throw bad(`tag "${tag}" is not a valid tag`);
    return { project, name, tag };
  }
  return { project, name };
}

const nameRule = "must be lowercase letters, digits and '-'";

/** `project/name:tag` or `project/name@hash`, the project left out when it is `default`. */
export function formatFunctionRef(ref: FunctionRef): string {
  const prefix = ref.project === defaultProject ? "" : `${ref.project}/`;
  if (ref.hash !== undefined) return `${prefix}${ref.name}@${ref.hash}`;
  return `${prefix}${ref.name}:${ref.tag ?? defaultTag}`;
}

/** A tag as the store accepts it. */
export function checkTag(tag: string): string {
  if (!tagRegex.test(tag) || tag.length > 128) {
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      `"${tag}" is not a valid tag: letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
    );
  }
  return tag;
}

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { SluiceError } from "../../errors.js";
import { type LoadedFunction, readFunctionText } from "../document/read.js";
import { defaultTag } from "../types.js";
import { isUrl, parentOf, readLocation, within } from "./fetch.js";

/** One function of a hub: what `index.yaml` says of it. */
export interface HubEntry {
  description?: string;
  kind?: string;
  categories?: string[];
  /** Tag → the function document's path, relative to the hub. */
  tags: Record<string, string>;
}

export interface HubIndex {
  functions: Record<string, HubEntry>;
}

export interface HubReference {
  name: string;
  tag: string;
}

const hubPrefix = "hub://";

/** The hub shipped with sluice (examples/hub), used when neither --hub nor SLUICE_HUB says otherwise. */
export const bundledHub = fileURLToPath(new URL("../../../examples/hub", import.meta.url));

export function isHubUri(text: string): boolean {
  return text.startsWith(hubPrefix);
}

/** `hub://name[:tag]` → name and tag (`latest` by default). */
export function parseHubUri(uri: string): HubReference {
  const rest = uri.slice(hubPrefix.length);
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?$/.exec(rest);
  if (!match) {
    const source = rest.includes("/")
      ? "; named hub sources are not supported, point --hub at the hub instead"
      : "";
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      `"${uri}" is not a hub reference: write hub://name or hub://name:tag${source}`,
    );
  }
  return { name: match[1] as string, tag: match[3] ?? defaultTag };
}

/**
 * A hub of function documents: a directory or an http(s) base URL holding `index.yaml`
 * (function name → tag → document path). A directory without an index is read by layout,
 * `<name>/<tag>/function.yaml`, or `<name>/function.yaml` for `latest`.
 */
export class Hub {
  readonly base: string;
  private index: Promise<HubIndex | undefined> | undefined;

  /** `base` defaults to --hub's value, then SLUICE_HUB, then the bundled examples/hub. */
  constructor(base?: string) {
    const chosen = base || process.env.SLUICE_HUB || bundledHub;
    this.base = isUrl(chosen) ? chosen : resolve(chosen);
  }

  /** The index, read once; undefined for a directory without one. */
  readIndex(): Promise<HubIndex | undefined> {
    this.index ??= this.loadIndex();
    return this.index;
  }

  /** Every function of the hub, from its index. */
  async list(): Promise<[string, HubEntry][]> {
    const index = await this.readIndex();
    if (!index) throw new SluiceError("SLUICE_ERR_HUB", `the hub ${this.base} has no index.yaml to list`);
    return Object.entries(index.functions).sort(([a], [b]) => a.localeCompare(b));
  }

  /**
   * The function `hub://name[:tag]` names, read and checked like any function document.
   * @throws SluiceError (SLUICE_ERR_FUNCTION_NOT_FOUND) naming the functions or tags there are.
   */
  async resolve(reference: string | HubReference): Promise<LoadedFunction> {
    const { name, tag } = typeof reference === "string" ? parseHubUri(reference) : reference;
    const index = await this.readIndex();
    const candidates: string[] = [];
    if (index) {
      const entry = index.functions[name];
      if (!entry) {
        const known = Object.keys(index.functions).sort().join(", ") || "none";
        throw new SluiceError(
          "SLUICE_ERR_FUNCTION_NOT_FOUND",
          `the hub has no function "${name}" (it has: ${known})`,
          {
            hint: `hub: ${this.base}`,
          },
        );
      }
      const path = entry.tags[tag];
      if (path === undefined) {
        throw new SluiceError(
          "SLUICE_ERR_FUNCTION_NOT_FOUND",
          `the hub's ${name} has no tag "${tag}" (tags: ${Object.keys(entry.tags).join(", ")})`,
        );
      }
      candidates.push(within(this.base, path, `index.yaml: ${name}:${tag}`));
    } else {
      candidates.push(within(this.base, `${name}/${tag}/function.yaml`, name));
      if (tag === defaultTag) candidates.push(within(this.base, `${name}/function.yaml`, name));
    }
    for (const location of candidates) {
      const text = await readLocation(location);
      if (text !== undefined) return readFunctionText(text, location, parentOf(location));
    }
    throw new SluiceError(
      "SLUICE_ERR_FUNCTION_NOT_FOUND",
      `hub://${name}:${tag} not found (looked for ${candidates.join(", ")})`,
    );
  }

  private async loadIndex(): Promise<HubIndex | undefined> {
    const location = within(this.base, "index.yaml", "index");
    if (!isUrl(this.base) && !existsSync(this.base)) {
      throw new SluiceError("SLUICE_ERR_HUB", `the hub ${this.base} does not exist`, {
        hint: "point --hub or SLUICE_HUB at a hub directory or URL",
      });
    }
    const text = await readLocation(location);
    if (text === undefined) {
      if (isUrl(this.base)) {
        throw new SluiceError("SLUICE_ERR_HUB", `the hub ${this.base} has no index.yaml`, {
          hint: "an HTTP hub lists its functions in <base>/index.yaml",
        });
      }
      return undefined;
    }
    return checkIndex(text, location);
  }
}

/** Parses and checks index.yaml, so a broken index is reported as such rather than as a missing function. */
function checkIndex(text: string, location: string): HubIndex {
  const bad = (why: string) => new SluiceError("SLUICE_ERR_HUB", `${location}: ${why}`);
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw bad(`invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const functions = (raw as { functions?: unknown } | null)?.functions;
  if (typeof functions !== "object" || functions === null || Array.isArray(functions)) {
    throw bad("must have a functions mapping (name → {description, kind, tags: {tag: path}})");
  }
  for (const [name, entry] of Object.entries(functions)) {
    const tags = (entry as { tags?: unknown } | null)?.tags;
    if (typeof tags !== "object" || tags === null || Array.isArray(tags))
      throw bad(`functions.${name} has no tags mapping`);
    for (const [tag, path] of Object.entries(tags)) {
      if (typeof path !== "string") throw bad(`functions.${name}.tags.${tag} must be a document path`);
    }
  }
  return raw as HubIndex;
}

import { readFile } from "node:fs/promises";
import { SluiceError } from "../../errors.js";

/** The most a hub document may weigh: a function document with embedded code, not a data set. */
const maxBytes = 16 * 1024 * 1024;
const timeoutMs = 15_000;

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * The text at a path or an http(s) URL; undefined when there is nothing there (ENOENT, 404),
 * so callers can say which function or tag is missing.
 * @throws SluiceError (SLUICE_ERR_HUB) when the hub cannot be read at all.
 */
export async function readLocation(location: string): Promise<string | undefined> {
  if (!isUrl(location)) {
    try {
      return await readFile(location, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw new SluiceError("SLUICE_ERR_HUB", `cannot read ${location}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  let response: Response;
  try {
    response = await fetch(location, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (error) {
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : "";
    throw new SluiceError("SLUICE_ERR_HUB", `cannot reach ${location}: ${reason}`, {
      cause: error,
      hint: "check the hub URL (--hub or SLUICE_HUB) and the network",
    });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SluiceError("SLUICE_ERR_HUB", `${location} answered ${response.status} ${response.statusText}`);
  }
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SluiceError(
      "SLUICE_ERR_HUB",
      `${location} is ${declared} bytes, more than a hub document may be`,
    );
  }
  const text = await response.text();
  if (text.length > maxBytes) {
    throw new SluiceError("SLUICE_ERR_HUB", `${location} is more than ${maxBytes} bytes`);
  }
  return text;
}

/**
 * `path` (from a hub index) under `base`, refusing anything that would leave the hub: an
 * absolute path, `..` above the base, another host.
 */
export function within(base: string, path: string, what: string): string {
  const refuse = () =>
    new SluiceError(
      "SLUICE_ERR_HUB",
      `${what}: "${path}" is outside the hub; index paths are relative to it`,
    );
  if (isUrl(base)) {
    const root = new URL(base.endsWith("/") ? base : `${base}/`);
    const target = new URL(path, root);
    if (target.origin !== root.origin || !target.pathname.startsWith(root.pathname)) throw refuse();
    return target.href;
  }
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || /^[a-z]+:/i.test(path)) throw refuse();
  const parts: string[] = [];
  for (const part of path.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.pop() === undefined) throw refuse();
    } else parts.push(part);
  }
  return [base.replace(/[\\/]+$/, ""), ...parts].join("/");
}

/** The directory (or URL "directory") holding a location, with a trailing separator for URLs. */
export function parentOf(location: string): string {
  if (isUrl(location)) return new URL(".", location).href;
  const cut = Math.max(location.lastIndexOf("/"), location.lastIndexOf("\\"));
  return cut > 0 ? location.slice(0, cut) : ".";
}

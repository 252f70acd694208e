import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { SluiceError } from "../../errors.js";
import type { FunctionObject } from "../function-object.js";
import { isUrl, readLocation, within } from "../hub/fetch.js";

/** What a run executes: a file on this machine, or a program found on PATH. */
export type Code = { file: string } | { program: string };

/**
 * Finds a function's code on this machine. In order: code embedded in the document
 * (`spec.build.functionSourceCode`, base64, as MLRun embeds it) is written to the cache;
 * a relative `command` under an http(s) origin (a hub) is downloaded to the cache; a
 * `command` naming a file resolves against the origin directory; anything else is a program.
 * Cached files are named by their content's hash, so a version's code is written once.
 */
export async function locateCode(fn: FunctionObject, origin: string, cacheDir: string): Promise<Code> {
  const spec = fn.spec as {
    command?: string;
    build?: { functionSourceCode?: string; origin_filename?: string };
  };
  const embedded = spec.build?.functionSourceCode;
  if (embedded !== undefined) {
    const source = Buffer.from(embedded, "base64");
    const name = basename(spec.build?.origin_filename || spec.command || `${fn.name}.mjs`);
    return { file: await cached(cacheDir, "code", source, name) };
  }
  const command = spec.command;
  if (command === undefined) {
    throw new SluiceError("SLUICE_ERR_FUNCTION_INVALID", `function ${fn.name} has no spec.command to run`, {
      hint: "set spec.command to a module, a script or a program",
    });
  }
  if (isUrl(command)) return { file: await download(command, cacheDir) };
  if (isUrl(origin) && !isAbsolute(command) && looksLikeFile(command)) {
    return { file: await download(within(origin, command, `${fn.name}'s spec.command`), cacheDir) };
  }
  if (!isUrl(origin)) {
    const file = resolve(origin, command);
    if (existsSync(file)) return { file };
    if (looksLikeFile(command) || fn.kind === "handler") {
      throw new SluiceError(
        "SLUICE_ERR_FUNCTION_INVALID",
        `${fn.name}: ${command} not found (looked for ${file})`,
      );
    }
  }
  return { program: command };
}

/** `./train.mjs`, `bin/run`, `train.py`: a path rather than a program name looked up on PATH. */
function looksLikeFile(command: string): boolean {
  return command.includes("/") || command.includes("\\") || /\.[A-Za-z0-9]+$/.test(command);
}

async function download(url: string, cacheDir: string): Promise<string> {
  const text = await readLocation(url);
  if (text === undefined) throw new SluiceError("SLUICE_ERR_HUB", `${url} not found (the function's code)`);
  const name = basename(new URL(url).pathname) || "main.mjs";
  return cached(cacheDir, "downloads", Buffer.from(text), name);
}

async function cached(cacheDir: string, area: string, content: Buffer, name: string): Promise<string> {
  const digest = createHash("sha1").update(content).digest("hex");
  const dir = join(cacheDir, area, digest);
  const file = join(dir, name);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    // Written aside and renamed: two runs filling the cache at once never see half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, content, { mode: 0o755 });
    await rename(partial, file);
  }
  return file;
}

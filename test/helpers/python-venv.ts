import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where test tools live between runs: `$SLUICE_CACHE`, else `~/.cache/sluice` (as the Kubernetes bed's). */
function cacheRoot(): string {
  return process.env.SLUICE_CACHE ?? join(homedir(), ".cache", "sluice");
}

/** The interpreter venvs are made with: `$SLUICE_PYTHON`, else `python3` on the PATH. */
const python = process.env.SLUICE_PYTHON ?? "python3";

/**
 * A Python venv with the pinned packages of `requirements` installed, made once per machine
 * under `<cache>/venvs/<name>-<hash of the requirements and Python's version>` (`name` defaults
 * to the file's, less `requirements.txt`) and reused by later runs (editing
 * the file makes a new one). It is built in a folder of this process's own and renamed into
 * place, so two test files starting at once never see half a venv. Resolves to its python.
 * @throws Error saying which step failed (no python3, pip refused a package) with its output.
 */
export async function pythonVenv(requirements: string, name = venvName(requirements)): Promise<string> {
  // A new interpreter (or a changed pin) gets a venv of its own.
  const { stdout: version } = await run(python, ["--version"]).catch((error: Error) => {
    throw new Error(
      `python venv: ${python} does not run (${error.message}); set SLUICE_PYTHON to a Python 3`,
    );
  });
  const text = readFileSync(requirements, "utf8");
  const hash = createHash("sha256").update(text).update(version).digest("hex").slice(0, 12);
  const dir = join(cacheRoot(), "venvs", `${name}-${hash}`);
  const bin = join(dir, "bin", "python");
  if (existsSync(join(dir, ".complete"))) return bin;

  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(join(cacheRoot(), "venvs"), { recursive: true });
  try {
    await step(`creating a venv with ${python}`, python, ["-m", "venv", building]);
    await step(
      `installing ${requirements} into ${dir} (pip could not install a pinned package)`,
      join(building, "bin", "python"),
      ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r", requirements],
    );
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  await writeFile(join(building, ".complete"), `${new Date().toISOString()}\n`);
  try {
    await rename(building, dir);
  } catch (error) {
    // Another process finished first: use its venv, drop ours.
    await rm(building, { recursive: true, force: true });
    if (!existsSync(join(dir, ".complete"))) throw error;
  }
  return bin;
}

function venvName(requirements: string): string {
  return basename(requirements).replace(/-?requirements\.txt$/, "") || "venv";
}

async function step(what: string, command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
    const output = `${stdout ?? ""}${stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`python venv: ${what} failed: ${command} ${args.join(" ")}\n${output || message}`);
  }
}

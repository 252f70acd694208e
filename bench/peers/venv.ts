/**
 * The Python peers' virtual environments: one per peer and set of pinned requirements, made
 * with `python3 -m venv` and pip the first time and reused after, under
 * `$SLUICE_CACHE/venvs` (default `~/.cache/sluice/venvs`).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../lib/child.js";

const run = promisify(execFile);

/** A peer's folder in bench/peers, holding its `requirements.txt` (every package pinned). */
export type Peer = "mlserver" | "kserve" | "mlrun";

export const peersDir = join(repoRoot, "bench", "peers");

const cacheRoot = process.env.SLUICE_CACHE ?? join(homedir(), ".cache", "sluice");

/**
 * The venv of `peer`, made if missing: its name carries a hash of the pinned requirements and
 * of the Python version, so a changed pin or interpreter gets a fresh one. A marker written
 * after pip succeeds tells a whole venv from one whose install was cut short.
 */
export async function venvOf(peer: Peer): Promise<{ python: string; bin: string }> {
  const requirements = join(peersDir, peer, "requirements.txt");
  const { stdout: version } = await run("python3", ["--version"]);
  const hash = createHash("sha256")
    .update(await readFile(requirements))
    .update(version)
    .digest("hex")
    .slice(0, 12);
  const dir = join(cacheRoot, "venvs", `${peer}-${hash}`);
  const bin = join(dir, "bin");
  const marker = join(dir, ".sluice-complete");
  const made = await access(marker).then(
    () => true,
    () => false,
  );
  if (!made) {
    process.stderr.write(`  making the ${peer} venv in ${dir} (pip, once per machine)\n`);
    await rm(dir, { recursive: true, force: true });
    await run("python3", ["-m", "venv", dir]);
    const pip = ["install", "--disable-pip-version-check", "-q", "-r", requirements];
    await run(join(bin, "pip"), pip, { maxBuffer: 64 << 20 }).catch((error: { stderr?: string }) => {
      throw new Error(`pip install -r ${requirements} failed:\n${error.stderr?.slice(-2000) ?? error}`);
    });
    await writeFile(marker, `${new Date().toISOString()}\n`);
  }
  return { python: join(bin, "python"), bin };
}

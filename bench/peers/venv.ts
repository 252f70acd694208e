/**
 * The Python peers' virtual environments: one per peer and set of pinned requirements
 * (`bench/peers/<peer>/requirements.txt`), made with pip the first time and reused after, under
 * `$SLUICE_CACHE/venvs` (default `~/.cache/sluice/venvs`), as the tests' own venvs are.
 */
import { dirname, join } from "node:path";
import { pythonVenv } from "../../test/helpers/python-venv.js";
import { repoRoot } from "../lib/child.js";

/** A peer's folder in bench/peers, holding its `requirements.txt` (every package pinned). */
export type Peer = "mlserver" | "kserve" | "mlrun";

export const peersDir = join(repoRoot, "bench", "peers");

/** The venv of `peer`, made if missing: its python and its `bin` folder (for its scripts). */
export async function venvOf(peer: Peer): Promise<{ python: string; bin: string }> {
  process.stderr.write(`  the ${peer} venv (made with pip once per machine)\n`);
  const python = await pythonVenv(join(peersDir, peer, "requirements.txt"), peer);
  return { python, bin: dirname(python) };
}

/**
 * ghz (github.com/bojand/ghz), the gRPC load generator, built once per machine from the Go
 * module proxy into `$SLUICE_CACHE/ghz/` (default `~/.cache/sluice`), as the Kubernetes test
 * bed builds its binaries. A Go client spends a fraction of the CPU per call that a
 * @grpc/grpc-js client does (measured here: ~530 µs a call in a Node loop, which made the
 * client, not the servers, the bottleneck on 2 cores).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The last version the Go module proxy serves. */
export const ghzVersion = "v0.93.0";

/** The ghz binary, built on first use (a few minutes, once per machine and Go version). */
export async function ghzBinary(): Promise<string> {
  const { stdout: go } = await run("go", ["env", "GOVERSION"]).catch((error: Error) => {
    throw new Error(`ghz is built with Go, which does not run here: ${error.message}`);
  });
  const cache = process.env.SLUICE_CACHE ?? join(homedir(), ".cache", "sluice");
  const dir = join(cache, "ghz", `${ghzVersion}-${go.trim()}`);
  const binary = join(dir, "ghz");
  if (existsSync(binary)) return binary;
  const building = `${dir}.building-${process.pid}`;
  await mkdir(building, { recursive: true });
  process.stderr.write(`  building ghz ${ghzVersion} into ${dir} (once per machine)\n`);
  try {
    await run("go", ["install", `github.com/bojand/ghz/cmd/ghz@${ghzVersion}`], {
      env: { ...process.env, GOBIN: building, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" },
      maxBuffer: 16 << 20,
    });
    await rename(building, dir);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (existsSync(binary)) return binary; // another run built it meanwhile
    const { stderr } = error as { stderr?: string };
    throw new Error(`building ghz ${ghzVersion} failed:\n${stderr?.slice(-2000) ?? error}`);
  }
  return binary;
}

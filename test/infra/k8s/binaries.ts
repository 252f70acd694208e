import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { onPath, TestBedError } from "../process.js";

/**
 * Builds the Kubernetes test bed's binaries from the Go module proxy once per machine and
 * keeps them outside the clone, in `$SLUICE_CACHE` (default `~/.cache/sluice`), in a folder
 * named by the versions and a hash of the module files that build them. A kept machine
 * rebuilds nothing; a fresh clone on it (CI) reuses them; a fresh machine pays the build once.
 */

const k8sDir = dirname(fileURLToPath(import.meta.url));

export const versions = { kubernetes: "v1.37.2", etcd: "v3.6.16", kwok: "v0.8.0" } as const;

/** The kwok stages the bed runs, as shipped in kwok's module under kustomize/stage/. */
const kwokStages = [
  "node/fast/node-initialize.yaml",
  "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
  "pod/chaos/pod-container-running-failed.yaml",
];

export interface K8sBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  /** The Stage documents for kwok's `--config`, read from its module. */
  kwokStages: string;
  /** kubectl at the bed's version, for `kubectl kustomize` of deploy/ and applies with its kubeconfigs. */
  kubectl: string;
}

interface Part {
  name: "etcd" | "kube" | "kwok" | "kubectl";
  version: string;
  /** Go packages to build, each into a binary named by its last path element. */
  packages: string[];
  ldflags: string;
}

function versionFlags(): string {
  const v = versions.kubernetes;
  const [major, minor] = v.slice(1).split(".");
  const values = {
    gitVersion: v,
    gitMajor: major,
    gitMinor: minor,
    // A release build would stamp its commit; the bed has none, so it says so.
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
  };
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
    .flatMap((pkg) => Object.entries(values).map(([key, value]) => `-X ${pkg}.${key}=${value}`))
    .join(" ");
}

const parts: Part[] = [
  { name: "etcd", version: versions.etcd, packages: ["."], ldflags: "-s -w" },
  {
    name: "kube",
    version: versions.kubernetes,
    packages: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map(
      (cmd) => `k8s.io/kubernetes/cmd/${cmd}`,
    ),
    ldflags: `-s -w ${versionFlags()}`,
  },
  { name: "kwok", version: versions.kwok, packages: ["sigs.k8s.io/kwok/cmd/kwok"], ldflags: "-s -w" },
  // A module of its own (test/infra/k8s/kubectl), so adding it left the server binaries' key as it was.
  {
    name: "kubectl",
    version: versions.kubernetes,
    packages: ["k8s.io/kubernetes/cmd/kubectl"],
    ldflags: `-s -w ${versionFlags()}`,
  },
];

export function cacheRoot(): string {
  return process.env.SLUICE_CACHE ?? join(homedir(), ".cache", "sluice");
}

/** A short hash of the files that decide what a part builds, so editing them rebuilds it. */
function sourceHash(moduleDir: string, ldflags: string): string {
  const hash = createHash("sha256").update(ldflags);
  for (const file of readdirSync(moduleDir).sort()) {
    if (/\.(go|mod|sum)$/.test(file)) hash.update(file).update(readFileSync(join(moduleDir, file)));
  }
  return hash.digest("hex").slice(0, 12);
}

function goVersion(): string {
  const result = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  return result.stdout.trim() || "go";
}

function run(part: string, command: string, args: string[], cwd: string, what: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
  });
  if (result.error) throw new TestBedError(part, `${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split("\n").slice(-20).join("\n");
    throw new TestBedError(
      part,
      `${what} failed (exit ${result.status}): cd ${cwd} && ${command} ${args.join(" ")}\n${output}`,
    );
  }
  return result.stdout;
}

/** Builds one part into its cache folder unless it is there already; returns the folder. */
function ensurePart(part: Part, log: (line: string) => void): string {
  const moduleDir = join(k8sDir, part.name);
  const key = `${part.name}-${part.version}-${goVersion()}-${sourceHash(moduleDir, part.ldflags)}`;
  const dir = join(cacheRoot(), "k8s", key);
  if (existsSync(join(dir, ".complete"))) return dir;

  // Build into a folder of this process's own and rename it into place, so two runs building
  // at once never see half a folder.
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  log(`test bed: building ${part.name} ${part.version} (first run on this machine; the cache is ${dir})`);
  const started = Date.now();
  run(
    part.name,
    "go",
    ["build", "-trimpath", "-ldflags", part.ldflags, "-o", `${building}/`, ...part.packages],
    moduleDir,
    `building ${part.name}`,
  );
  if (part.name === "kwok") {
    const kwokModule = run(
      part.name,
      "go",
      ["list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
      moduleDir,
      "finding kwok's module",
    ).trim();
    const stages = kwokStages.map((file) =>
      readFileSync(join(kwokModule, "kustomize", "stage", file), "utf8"),
    );
    writeStages(building, stages);
  }
  writeFileSync(join(building, ".complete"), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  log(`test bed: built ${part.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

function writeStages(dir: string, stages: string[]): void {
  const text = stages.map((stage) => stage.replace(/^---\n/, "").trimEnd()).join("\n---\n");
  writeFileSync(join(dir, "kwok-stages.yaml"), `${text}\n`);
}

/** Builds what is missing (printing how long it took) and returns the binaries' paths. */
export function ensureK8sBinaries(log: (line: string) => void = console.log): K8sBinaries {
  if (!onPath("go"))
    throw new TestBedError("kubernetes", "go is not on PATH (Go 1.26 is needed to build the bed)");
  const [etcd, kube, kwok, kubectl] = parts.map((part) => ensurePart(part, log)) as [
    string,
    string,
    string,
    string,
  ];
  return {
    etcd: join(etcd, "etcd"),
    kubeApiserver: join(kube, "kube-apiserver"),
    kubeControllerManager: join(kube, "kube-controller-manager"),
    kubeScheduler: join(kube, "kube-scheduler"),
    kwok: join(kwok, "kwok"),
    kwokStages: join(kwok, "kwok-stages.yaml"),
    kubectl: join(kubectl, "kubectl"),
  };
}

// `tsx test/infra/k8s/binaries.ts` builds ahead of a test run.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(ensureK8sBinaries(), null, 2));
}

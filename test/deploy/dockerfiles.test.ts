import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayPort, healthPaths, imageUser } from "../../src/runtimes/render/gateway-pod.js";
import { entryHandler, entryHandlerDir } from "../../src/runtimes/render/index.js";
import { repoRoot } from "../helpers/cli.js";
import { copyOf, execForm, type Stage, sentToBuilder, stagesOf } from "./dockerfile.js";

/**
 * deploy/images' Dockerfiles and the root .dockerignore, read as text (no Docker engine runs
 * here): what each image is built from, who it runs as, what goes into it and what it runs.
 */
const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const gatewayFile = "deploy/images/gateway/Dockerfile";
const nuclioFile = "deploy/images/nuclio/Dockerfile";
const pkg = JSON.parse(read("package.json")) as { version: string; files: string[] };
const dockerignore = read(".dockerignore");

/** Names that must never be copied into an image or sent to the builder. */
const secretLooking =
  /(^|\/)(\.env[^/]*|\.npmrc|\.git|id_rsa[^/]*|[^/]*\.(pem|key|p12)|kubeconfig[^/]*|credentials[^/]*)$/i;

/** An image reference pinned to one build: a digest, or a tag that starts with an exact x.y.z version. */
function pinned(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image) || /:\d+\.\d+\.\d+(-[\w.-]+)?$/.test(image);
}

function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

/** What every image must hold to: the list of what is wrong, empty when nothing is. */
function commonProblems(text: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(text);
  const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  const image = stages.at(-1);
  if (stages.length < 2 || !image) problems.push("not a multi-stage build");
  for (const stage of stages) {
    if (!names.has(stage.image) && !pinned(stage.image))
      problems.push(`FROM ${stage.from} (${stage.image}) is not pinned to a digest or an exact version`);
    for (const instruction of stage.instructions) {
      if (instruction.keyword === "COPY" || instruction.keyword === "ADD") {
        const { from, sources } = copyOf(instruction);
        for (const source of sources) {
          if (source === "." || source === "./") problems.push(`${instruction.keyword} of the whole context`);
          if (secretLooking.test(source)) problems.push(`${instruction.keyword} of ${source}`);
          if (!from && !sentToBuilder(dockerignore, source.replace(/^\.\//, "")))
            problems.push(`COPY ${source}: .dockerignore does not send it to the builder`);
        }
      }
      if (
        (instruction.keyword === "ARG" || instruction.keyword === "ENV") &&
        /(TOKEN|PASSWORD|SECRET)\w*=/i.test(instruction.args)
      )
        problems.push(`${instruction.keyword} ${instruction.args} bakes a secret into the image`);
    }
  }
  const user = image ? lastOf(image, "USER") : undefined;
  if (user !== `${imageUser}:${imageUser}` && user !== String(imageUser))
    problems.push(`the image runs as ${user ?? "root (no USER)"}, not the numeric non-root ${imageUser}`);
  return problems;
}

function gatewayProblems(text: string): string[] {
  const problems = commonProblems(text);
  const stages = stagesOf(text);
  const image = stages.at(-1) as Stage;
  for (const stage of stages) {
    if (!/^node:24\.\d+\.\d+/.test(stage.image))
      problems.push(`${stage.image} is not Node 24 at an exact release`);
  }
  const copies = image.instructions.filter((i) => i.keyword === "COPY").map(copyOf);
  for (const copy of copies.filter((c) => c.from !== undefined)) {
    const source = stages.find((s) => s.name === copy.from);
    const runs = source?.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args) ?? [];
    const devDependencies = runs.some((r) => /npm (ci|install)(?![^&]*--omit=dev)/.test(r));
    if (copy.sources.some((s) => s.includes("node_modules"))) {
      if (devDependencies)
        problems.push(`node_modules comes from stage ${copy.from}, which installs dev dependencies`);
      if (!runs.some((r) => /npm rebuild better-sqlite3 --build-from-source/.test(r)))
        problems.push(`stage ${copy.from} does not build better-sqlite3 from source`);
      if (source?.image !== image.image)
        problems.push(`stage ${copy.from} builds native modules on another Node`);
    }
  }
  if (image.instructions.some((i) => i.keyword === "RUN" && /npm (ci|install)/.test(i.args)))
    problems.push("the image itself runs npm install");
  // What goes in is what npm publishes: package.json's "files", the manifest, dist from the build.
  const shipped = copies.flatMap((c) => c.sources.map((s) => s.replace(/^.*\/src\/dist$/, "dist")));
  const expected = [...pkg.files, "package.json", "/opt/sluice/node_modules"];
  if ([...shipped].sort().join() !== [...expected].sort().join())
    problems.push(`the image holds ${shipped.join(", ")}, not ${expected.join(", ")}`);
  if (!entryHandlerDir.startsWith(`${lastOf(image, "WORKDIR")}/dist/`))
    problems.push(`sluice is not where the rendered functions look for it (${entryHandlerDir})`);
  if (JSON.stringify(execForm(lastOf(image, "ENTRYPOINT") ?? "")) !== '["sluice"]')
    problems.push("the entrypoint is not sluice");
  if (
    !image.instructions.some(
      (i) => i.keyword === "RUN" && /ln -s \S+\/bin\/sluice\.js \/usr\/local\/bin\/sluice/.test(i.args),
    )
  )
    problems.push("sluice is not on the PATH");
  if (lastOf(image, "EXPOSE") !== String(gatewayPort)) problems.push(`EXPOSE is not ${gatewayPort}`);
  const health = execForm(lastOf(image, "HEALTHCHECK") ?? "")?.join(" ") ?? "";
  if (!health.includes(`127.0.0.1:${gatewayPort}${healthPaths.ready}`))
    problems.push(`HEALTHCHECK does not ask ${healthPaths.ready}`);
  return problems;
}

function nuclioProblems(text: string): string[] {
  const problems = commonProblems(text);
  const stages = stagesOf(text);
  const image = stages.at(-1) as Stage;
  if (!/^sluice:/.test(image.image) || !image.image.endsWith(`:${pkg.version}`))
    problems.push(`it is not built on the gateway image of sluice ${pkg.version} (${image.image})`);
  const nuclio = stages.find((s) => s.image.startsWith("quay.io/nuclio/handler-builder-nodejs-onbuild:"));
  if (!nuclio) problems.push("no stage takes Nuclio's processor from its Node.js onbuild image");
  const copied = image.instructions.filter((i) => i.keyword === "COPY").map(copyOf);
  for (const [from, to] of [
    ["/home/nuclio/bin/processor", "/usr/local/bin/processor"],
    ["/home/nuclio/bin/wrapper.js", "/opt/nuclio/wrapper.js"],
  ]) {
    if (!copied.some((c) => c.from === nuclio?.name && c.sources.includes(from as string) && c.dest === to))
      problems.push(`${from} is not copied to ${to}`);
  }
  if (lastOf(image, "ENV") !== `NUCLIO_HANDLER_DIR=${entryHandlerDir}`)
    problems.push(`NUCLIO_HANDLER_DIR is not ${entryHandlerDir}`);
  if (execForm(lastOf(image, "ENTRYPOINT") ?? "")?.length !== 0)
    problems.push("the gateway's entrypoint is not reset");
  if (execForm(lastOf(image, "CMD") ?? "")?.[0] !== "processor")
    problems.push("the command is not Nuclio's processor");
  if (!(execForm(lastOf(image, "HEALTHCHECK") ?? "")?.join(" ") ?? "").includes("127.0.0.1:8082/ready"))
    problems.push("HEALTHCHECK does not ask the processor's /ready");
  return problems;
}

describe("deploy/images: the gateway image", () => {
  const text = read(gatewayFile);

  it("is built in stages on Node 24 at an exact release, runs as uid 1000 and starts sluice", () => {
    expect(gatewayProblems(text)).toEqual([]);
  });

  it("is caught without USER, on a moving tag, with dev dependencies, or copying the whole context", () => {
    const broken = {
      "no USER": text.replace(/^USER .*$/m, ""),
      "USER root": text.replace(/^USER .*$/m, "USER root"),
      "node:24-bookworm-slim": text.replace(/node:24\.\d+\.\d+-bookworm-slim/, "node:24-bookworm-slim"),
      "node:latest": text.replace(/node:24\.\d+\.\d+-bookworm-slim/, "node:latest"),
      "npm ci with dev": text.replace("npm ci --omit=dev --ignore-scripts", "npm ci --ignore-scripts"),
      "prebuilt sqlite": text.replace(/ \\\n && npm rebuild better-sqlite3 --build-from-source/, ""),
      "COPY .": text.replace("COPY bin ./bin", "COPY . ./"),
      "COPY .env": text.replace("COPY bin ./bin", "COPY bin ./bin\nCOPY .env ./"),
      "no entrypoint": text.replace('ENTRYPOINT ["sluice"]', 'ENTRYPOINT ["node"]'),
    };
    for (const [what, dockerfile] of Object.entries(broken)) {
      expect(dockerfile, what).not.toBe(text);
      expect(gatewayProblems(dockerfile), what).not.toEqual([]);
    }
  });
});

describe("deploy/images: the Nuclio runtime image", () => {
  const text = read(nuclioFile);

  it(`is the gateway image plus Nuclio's processor, running ${entryHandler} from where the rendered functions say`, () => {
    expect(nuclioProblems(text)).toEqual([]);
    expect(existsSync(join(repoRoot, "src/runtimes/nuclio/entry.cts"))).toBe(true);
  });

  it("is caught without USER, on an unpinned Nuclio, or not starting the processor", () => {
    const broken = {
      "no USER": text.replace(/^USER .*$/m, ""),
      "nuclio latest": text.replace(/onbuild:1\.\d+\.\d+-amd64/, "onbuild:latest-amd64"),
      "sluice latest": text.replace(/ARG SLUICE_IMAGE=sluice:.*/, "ARG SLUICE_IMAGE=sluice:latest"),
      "other handler dir": text.replace(/NUCLIO_HANDLER_DIR=\S+/, "NUCLIO_HANDLER_DIR=/opt/nuclio"),
      "sluice command": text.replace(/^CMD \["processor"/m, 'CMD ["sluice"'),
    };
    for (const [what, dockerfile] of Object.entries(broken)) {
      expect(dockerfile, what).not.toBe(text);
      expect(nuclioProblems(dockerfile), what).not.toEqual([]);
    }
  });
});

describe(".dockerignore", () => {
  it("sends the builder only what the images copy: no VCS, local builds, tests or secrets", () => {
    expect(existsSync(join(repoRoot, ".dockerignore"))).toBe(true);
    for (const path of ["package.json", "src/cli/main.ts", "bin/sluice.js", "examples/hub/index.yaml"]) {
      expect(sentToBuilder(dockerignore, path), path).toBe(true);
    }
    const kept = [
      ".git/config",
      "node_modules/express/index.js",
      "dist/cli/main.js",
      "test/e2e/deploy.test.ts",
      "bench/run.ts",
      ".env",
      ".env.production",
      "src/.env",
      ".npmrc",
      "examples/.npmrc",
      "deploy/tls.key",
      "src/certs/server.pem",
      "kubeconfig",
      "src/kubeconfig.yaml",
      "id_rsa",
    ];
    for (const path of kept) expect(sentToBuilder(dockerignore, path), path).toBe(false);
  });
});

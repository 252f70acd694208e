/**
 * Just enough of Dockerfile and .dockerignore syntax to check deploy/images without a Docker
 * engine: instructions (continuations joined, comments dropped), stages with their base image
 * resolved from the global ARGs' defaults, and .dockerignore's matching (last pattern wins,
 * `!` lets back in, a pattern matching a folder matches what is inside it).
 */

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The image as written after FROM. */
  from: string;
  /** The image with `${ARG}`s replaced by the global ARGs' defaults. */
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function instructionsOf(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** The stages, in order; the last one is the image. */
export function stagesOf(text: string): Stage[] {
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === "FROM") {
      const [from = "", as, name] = instruction.args.split(/\s+/);
      const image = from.replace(/\$\{?(\w+)\}?/g, (_all, arg: string) => globals.get(arg) ?? "");
      stages.push({ from, image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [arg = "", value = ""] = instruction.args.split("=");
      globals.set(arg, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The JSON (exec) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.slice(args.indexOf("["));
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** A COPY's sources (from the build context, or from a stage with `--from`) and its destination. */
export function copyOf(instruction: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = instruction.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Whether a path of the build context reaches the builder under these .dockerignore rules. */
export function sentToBuilder(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      return { negated, test: globToRegExp(pattern) };
    });
  const parts = path.split("/");
  const prefixes = parts.map((_p, i) => parts.slice(0, i + 1).join("/"));
  let included = true;
  for (const { negated, test } of rules) {
    if (prefixes.some((prefix) => test.test(prefix))) included = negated;
  }
  return included;
}

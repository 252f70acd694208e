import { basename, extname, posix } from "node:path";
import { isUrl } from "../../hub/fetch.js";
import type { Volume, VolumeMount } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, codeDir, renderError, runMetadata } from "./context.js";

/**
 * What a container runs, worked out as the local runner does (src/runtimes/run/code.ts and
 * process.ts): code shipped with the run (embedded in the document, or read beside it by the
 * caller) is mounted from a ConfigMap; a `command` that names a script runs under its
 * interpreter; any other `command` is a program of the image; no command runs the image's
 * entrypoint with the function's args.
 */
export interface Program {
  /** Container `command` (argv before the function's args); undefined keeps the image's entrypoint. */
  argv: string[] | undefined;
  /** The script or program path alone (spark-submit and mpirun take it apart from its interpreter). */
  file: string | undefined;
  /** The ConfigMap holding shipped code, with its volume and mount; undefined when the image has the code. */
  shipped: ShippedCode | undefined;
}

export interface ShippedCode {
  configMap: KubeObject;
  volume: Volume;
  mount: VolumeMount;
}

/** ConfigMaps hold at most 1 MiB with their metadata; leave room for it. */
const maxCodeBytes = 1_000_000;
const configMapKey = /^[-._a-zA-Z0-9]+$/;
export const codeVolumeName = "sluice-code";

/** Scripts run by their interpreter, so they need no executable bit or shebang (as under --local). */
function interpreterOf(context: BatchContext, file: string): string[] {
  switch (extname(file).toLowerCase()) {
    case ".mjs":
    case ".js":
    case ".cjs":
      return ["node"];
    case ".py":
      return ["python3"];
    case ".sh":
      return ["sh"];
    case ".ts":
    case ".mts":
    case ".cts":
      throw renderError(
        context.fn,
        "command",
        `${file} is TypeScript: sluice runs it with tsx on this machine, but an image has no tsx`,
        "compile it to .mjs, or run it from an image that has its own entrypoint",
      );
    default:
      return [];
  }
}

/** `./train.mjs`, `bin/run`, `train.py`: a path rather than a program looked up on PATH. */
function looksLikeFile(command: string): boolean {
  return command.includes("/") || /\.[A-Za-z0-9]+$/.test(command);
}

/** The code of the run, if any is shipped rather than found in the image. */
function codeOf(context: BatchContext): { name: string; content: Buffer } | undefined {
  const { spec, run } = context;
  const embedded = spec.build?.functionSourceCode;
  if (embedded !== undefined) {
    const name = basename(spec.build?.origin_filename || spec.command || `${context.fn.metadata.name}.mjs`);
    return { name, content: Buffer.from(embedded, "base64") };
  }
  if (run.code !== undefined)
    return { name: basename(run.code.name), content: Buffer.from(run.code.content) };
  return undefined;
}

function shippedCode(context: BatchContext, name: string, content: Buffer): ShippedCode {
  if (!configMapKey.test(name)) {
    throw renderError(
      context.fn,
      "command",
      `"${name}" cannot be a ConfigMap key (letters, digits, '-', '_', '.')`,
    );
  }
  if (content.length > maxCodeBytes) {
    throw renderError(
      context.fn,
      "command",
      `${name} is ${content.length} bytes, more than a ConfigMap holds (${maxCodeBytes})`,
      "bake the code into an image and set spec.image",
    );
  }
  const text = content.toString("utf8");
  // Text is kept readable (kubectl shows it); anything else goes as base64 binaryData.
  const isText = Buffer.from(text, "utf8").equals(content);
  const configMap: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: runMetadata(context, `${context.name}-code`),
    ...(isText ? { data: { [name]: text } } : { binaryData: { [name]: content.toString("base64") } }),
  };
  return {
    configMap,
    // 0555: a script without an interpreter (a compiled program, a shebang script) can run.
    volume: { name: codeVolumeName, configMap: { name: `${context.name}-code`, defaultMode: 0o555 } },
    mount: { name: codeVolumeName, mountPath: codeDir, readOnly: true },
  };
}

/**
 * The program a run's main container executes. `fetchesUrls`: the runner (Spark) downloads an
 * http(s) application file itself, so a URL command is kept rather than refused.
 */
export function programOf(context: BatchContext, fetchesUrls = false): Program {
  const { spec, fn } = context;
  if (spec.default_handler !== undefined) {
    throw renderError(
      fn,
      "default_handler",
      `sluice runs a ${fn.kind} function's command as a script, not a handler inside it`,
      "drop spec.default_handler and let the script call its own entry point",
    );
  }
  const code = codeOf(context);
  if (code !== undefined) {
    const file = posix.join(codeDir, code.name);
    return {
      argv: [...interpreterOf(context, file), file],
      file,
      shipped: shippedCode(context, code.name, code.content),
    };
  }
  const command = spec.command;
  if (command === undefined) return { argv: undefined, file: undefined, shipped: undefined };
  if (isUrl(command)) {
    if (fetchesUrls) return { argv: [command], file: command, shipped: undefined };
    throw renderError(
      fn,
      "command",
      `${command} is a URL: the caller must download it and pass it as the run's code`,
    );
  }
  if (looksLikeFile(command)) {
    return { argv: [...interpreterOf(context, command), command], file: command, shipped: undefined };
  }
  return { argv: [command], file: command, shipped: undefined };
}

import type { HandlerFn, StepClass, StepContext } from "../contract.js";
import type { CodeRef } from "../document.js";
import { CodeRefError, loadExport } from "../modules.js";
import { StepArgsError } from "../problems.js";
import { builtins } from "../steps/index.js";
import { type BuildEnv, reportProblem } from "./env.js";

/** User code behind a step: a function, or an instance of a class (with `do`, `predict`...). */
export type LoadedCode =
  | { kind: "function"; fn: HandlerFn }
  | { kind: "instance"; instance: Record<string, unknown> };

/**
 * Resolves `handler` or `class` of a step (a module export or `builtin:<name>`) and, for
 * classes, constructs the instance with `args`. Problems are reported with the field's pointer;
 * returns undefined when the code could not be had.
 */
export async function loadCode(
  ref: CodeRef,
  at: string,
  step: string,
  env: BuildEnv,
  ctx: StepContext,
): Promise<LoadedCode | undefined> {
  const field = ref.class !== undefined ? "class" : "handler";
  const target = ref.class ?? ref.handler;
  if (target === undefined) {
    reportProblem(env, at, "needs a handler or a class", step);
    return undefined;
  }
  let exported: unknown;
  if (target.startsWith("builtin:")) {
    const name = target.slice("builtin:".length);
    exported = Object.hasOwn(builtins, name) ? builtins[name] : undefined;
    if (exported === undefined) {
      const known = Object.keys(builtins).join(", ");
      reportProblem(env, `${at}/${field}`, `unknown built-in step "${name}" (built-ins: ${known})`, step);
      return undefined;
    }
    return construct(exported as StepClass, ref, at, step, env, ctx);
  }
  try {
    exported = await loadExport(target, env.file, env.moduleRoots);
  } catch (error) {
    if (!(error instanceof CodeRefError)) throw error;
    reportProblem(env, `${at}/${field}`, error.message, step);
    return undefined;
  }
  if (typeof exported !== "function") {
    reportProblem(
      env,
      `${at}/${field}`,
      `${target} is not a ${field === "class" ? "class" : "function"}`,
      step,
    );
    return undefined;
  }
  if (field === "handler") return { kind: "function", fn: exported as HandlerFn };
  return construct(exported as StepClass, ref, at, step, env, ctx);
}

function construct(
  Class: StepClass,
  ref: CodeRef,
  at: string,
  step: string,
  env: BuildEnv,
  ctx: StepContext,
): LoadedCode | undefined {
  try {
    return {
      kind: "instance",
      instance: new Class(ref.args ?? {}, ctx) as unknown as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof StepArgsError) {
      reportProblem(env, `${at}/args/${error.field}`, error.message, step);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      reportProblem(env, `${at}/class`, `constructing ${ref.class ?? ref.handler} failed: ${message}`, step);
    }
    return undefined;
  }
}

/** Calls an optional lifecycle method (`init`, `load`, `close`) of an instance. */
export async function callOptional(code: LoadedCode | undefined, method: string): Promise<void> {
  if (code?.kind !== "instance") return;
  const fn = code.instance[method];
  if (typeof fn === "function") await fn.call(code.instance);
}

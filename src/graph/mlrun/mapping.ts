import { GraphInvalidError, type Problem, pointer } from "../problems.js";
import { isRecord, type Path, show } from "./fields.js";

/** `./module.mjs#Export` or `builtin:<name>`. */
export const MODULE_REF = /^(?:builtin:[\w.-]+|[^#\s]+#[A-Za-z_$][\w$]*)$/;

/** How MLRun's Python classes and handlers become sluice step modules (read from a mapping file). */
/** Where an MLRun function's class mapping is looked for when none is given: beside the function. */
export const defaultMappingFile = "mlrun-mapping.yaml";

export interface ClassMapping {
  /** The mapping file, named in messages; absent when none was given. */
  file?: string;
  /** MLRun `class_name` → `./module.mjs#Export` or `builtin:<name>`. */
  classes: ReadonlyMap<string, string>;
  /** MLRun `handler` (a Python function) → `./module.mjs#export` or `builtin:<name>`. */
  handlers: ReadonlyMap<string, string>;
}

/**
 * Reads a mapping file's content: `{classes: {<class_name>: <ref>}, handlers: {<handler>: <ref>}}`,
 * both optional (an empty file is an empty mapping), where a ref is `./module.mjs#Export` or
 * `builtin:<name>`, copied into the graph as written. Throws GraphInvalidError with every problem.
 */
export function readClassMapping(raw: unknown, file: string): ClassMapping {
  const problems: Problem[] = [];
  const refuse = (path: Path, message: string) => problems.push({ file, pointer: pointer(...path), message });
  const sections = { classes: new Map<string, string>(), handlers: new Map<string, string>() };
  if (raw !== null && raw !== undefined && !isRecord(raw))
    refuse([], "a mapping file is a map of classes and handlers");
  for (const [key, section] of Object.entries(isRecord(raw) ? raw : {})) {
    const into = key === "classes" || key === "handlers" ? sections[key] : undefined;
    if (into === undefined) {
      refuse([key], `unknown section "${key}": a mapping file has classes and handlers`);
    } else if (isRecord(section)) {
      for (const [name, ref] of Object.entries(section)) {
        if (typeof ref === "string" && MODULE_REF.test(ref)) into.set(name, ref);
        else
          refuse(
            [key, name],
            `${show(ref)} is not a module reference: write ./module.mjs#Export or builtin:<name>`,
          );
      }
    } else if (section !== null) {
      refuse([key], `${key} must map MLRun names to modules`);
    }
  }
  if (problems.length > 0) throw new GraphInvalidError(problems);
  return { file, ...sections };
}

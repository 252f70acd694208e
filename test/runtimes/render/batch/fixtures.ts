import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { FunctionObject } from "../../../../src/runtimes/function-object.js";
import type { KubeObject } from "../../../../src/runtimes/render/objects.js";
import type {
  AnyFunctionDocument,
  FunctionKind,
  FunctionMetadata,
  SpecByKind,
} from "../../../../src/runtimes/types.js";

/** The uid `sluice run` would create: 32 lowercase hex digits. */
export const uid = "3f9a1c2be4d54e0f8a7b6c5d4e3f2a1b";
export const options = { namespace: "team-a" };

/** A function document of a kind, checked against its schema as `sluice run` reads it. */
export function fn<K extends FunctionKind>(
  kind: K,
  name: string,
  spec: SpecByKind[K],
  metadata: Omit<FunctionMetadata, "name"> = {},
): AnyFunctionDocument {
  return FunctionObject.create(kind, name, spec, metadata).content() as AnyFunctionDocument;
}

/** A function of the bundled hub (examples/hub), as its function.yaml says. */
export function hubFunction(name: string): AnyFunctionDocument {
  const file = join(import.meta.dirname, "../../../../examples/hub", name, "function.yaml");
  return new FunctionObject(parse(readFileSync(file, "utf8"))).validate().content() as AnyFunctionDocument;
}

export function hubCode(name: string, file: string): { name: string; content: string } {
  return {
    name: file,
    content: readFileSync(join(import.meta.dirname, "../../../../examples/hub", name, file), "utf8"),
  };
}

/** The one object of a kind in a rendering. */
export function only(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0] as KubeObject;
}

/** The value at a dotted path (`spec.template.spec.containers.0.image`); undefined when absent. */
export function get(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** The env of a container as name → value or valueFrom. */
export function envOf(container: unknown): Map<string, unknown> {
  const env = (get(container, "env") ?? []) as { name: string; value?: string; valueFrom?: unknown }[];
  return new Map(env.map((e) => [e.name, e.value ?? e.valueFrom]));
}

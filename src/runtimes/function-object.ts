import { functionHash, hashedContent } from "./hash.js";
import {
  defaultGpuType,
  kubernetesSpecOf,
  mountVolume,
  type NodeSelection,
  type ResourceField,
  setAmounts,
  setNodeSelection,
  volumeNameFor,
} from "./kubernetes.js";
import { FunctionInvalidError, invalidCall } from "./problems.js";
import { validateFunctionDocument } from "./schema/validate.js";
import {
  defaultProject,
  type EnvVar,
  type FunctionDocument,
  type FunctionKind,
  type FunctionMetadata,
  type KeyToPath,
  kubernetesKinds,
  type Quantity,
  type SpecByKind,
  type Volume,
  type VolumeMount,
} from "./types.js";

/** Options of the mount* methods. */
export interface MountOptions {
  /** The volume's name; derived from the mounted object's name by default. */
  volumeName?: string;
  readOnly?: boolean;
  subPath?: string;
}

function mountOf(mountPath: string, options: MountOptions): Omit<VolumeMount, "name"> {
  return {
    mountPath,
    ...(options.subPath !== undefined ? { subPath: options.subPath } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
  };
}

/**
 * A function: code plus spec plus metadata, one document (MLRun's function object). The
 * fluent methods edit the document in place and return `this`; the Kubernetes ones check
 * their input at once (see kubernetes.ts), so a bad quantity fails where it was written.
 */
export class FunctionObject<K extends FunctionKind = FunctionKind> {
  readonly kind: K;
  readonly metadata: FunctionMetadata;
  readonly spec: SpecByKind[K];
  status: Record<string, unknown> | undefined;

  /** Wraps a document as is; use `create` or `readFunction*` to get a checked one. */
  constructor(doc: FunctionDocument<K>) {
    this.kind = doc.kind;
    this.metadata = doc.metadata;
    this.spec = doc.spec;
    this.status = doc.status;
  }

  /**
   * A new function of a kind, checked against the kind's schema.
   * @throws FunctionInvalidError naming each field that is wrong.
   */
  static create<K extends FunctionKind>(
    kind: K,
    name: string,
    spec: SpecByKind[K],
    metadata: Omit<FunctionMetadata, "name"> = {},
  ): FunctionObject<K> {
    return new FunctionObject<K>({ kind, metadata: { name, ...metadata }, spec }).validate();
  }

  get name(): string {
    return this.metadata.name;
  }

  get project(): string {
    return this.metadata.project ?? defaultProject;
  }

  /** The content hash (SHA-1); unchanged by tag, hash, status and timestamps. */
  get hash(): string {
    return functionHash(this.document());
  }

  get runsOnKubernetes(): boolean {
    return kubernetesKinds.has(this.kind);
  }

  /** Checks the document as it is now. @throws FunctionInvalidError */
  validate(file = `function "${this.metadata.name}"`): this {
    const problems = validateFunctionDocument(this.document(), file);
    if (problems.length > 0) throw new FunctionInvalidError(problems);
    return this;
  }

  /** Sets (or replaces) an environment variable, keeping the others in order. */
  setEnv(name: string, value: string | number | boolean): this {
    return this.putEnv({ name, value: String(value) });
  }

  setEnvs(vars: Record<string, string | number | boolean>): this {
    for (const [name, value] of Object.entries(vars)) this.setEnv(name, value);
    return this;
  }

  /** An environment variable read from a key of a Kubernetes Secret. */
  setEnvFromSecret(name: string, secret: string, key: string): this {
    return this.putEnv({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  }

  /** Asks for `count` GPUs of a type (a limit, as Kubernetes schedules GPUs by their limit). */
  gpus(count: number, type = defaultGpuType): this {
    setAmounts(this.kind, this.spec, "gpus", "resources", "limits", { [type]: count });
    return this;
  }

  /** Upper bounds: memory (`2Gi`), cpu (`500m`, `2`), GPUs. Requests may not exceed them. */
  withLimits(memory?: Quantity, cpu?: Quantity, gpus?: number, gpuType = defaultGpuType): this {
    return this.amounts("withLimits", "resources", "limits", memory, cpu, gpus, gpuType);
  }

  /** What the scheduler reserves: memory and cpu. */
  withRequests(memory?: Quantity, cpu?: Quantity): this {
    return this.amounts("withRequests", "resources", "requests", memory, cpu);
  }

  /** Spark: the driver's limits. */
  withDriverLimits(memory?: Quantity, cpu?: Quantity, gpus?: number, gpuType = defaultGpuType): this {
    return this.amounts("withDriverLimits", "driver_resources", "limits", memory, cpu, gpus, gpuType);
  }

  withDriverRequests(memory?: Quantity, cpu?: Quantity): this {
    return this.amounts("withDriverRequests", "driver_resources", "requests", memory, cpu);
  }

  /** Spark: each executor's limits. */
  withExecutorLimits(memory?: Quantity, cpu?: Quantity, gpus?: number, gpuType = defaultGpuType): this {
    return this.amounts("withExecutorLimits", "executor_resources", "limits", memory, cpu, gpus, gpuType);
  }

  withExecutorRequests(memory?: Quantity, cpu?: Quantity): this {
    return this.amounts("withExecutorRequests", "executor_resources", "requests", memory, cpu);
  }

  private amounts(
    method: string,
    field: ResourceField,
    side: "limits" | "requests",
    memory: Quantity | undefined,
    cpu: Quantity | undefined,
    gpus?: number,
    gpuType = defaultGpuType,
  ): this {
    if (field.startsWith("driver") || field.startsWith("executor")) this.only("spark", method);
    setAmounts(this.kind, this.spec, method, field, side, { memory, cpu, [gpuType]: gpus });
    return this;
  }

  private only(kind: FunctionKind, method: string): void {
    if (this.kind !== kind)
      throw invalidCall(method, "/kind", `${method}() applies to ${kind} functions only`);
  }

  /** Mounts any Kubernetes volume at a path. */
  mountVolume(volume: Volume, mount: Omit<VolumeMount, "name">): this {
    mountVolume(this.kind, this.spec, "mountVolume", volume, mount);
    return this;
  }

  /** Mounts a Secret's keys as files under `mountPath`. */
  mountSecret(
    secretName: string,
    mountPath: string,
    options: MountOptions & { items?: KeyToPath[] } = {},
  ): this {
    const name = options.volumeName ?? volumeNameFor("secret", secretName);
    const source = { secretName, ...(options.items ? { items: options.items } : {}) };
    mountVolume(this.kind, this.spec, "mountSecret", { name, secret: source }, mountOf(mountPath, options));
    return this;
  }

  /** Mounts a ConfigMap's keys as files under `mountPath`. */
  mountConfigMap(
    configMap: string,
    mountPath: string,
    options: MountOptions & { items?: KeyToPath[] } = {},
  ): this {
    const name = options.volumeName ?? volumeNameFor("config", configMap);
    const source = { name: configMap, ...(options.items ? { items: options.items } : {}) };
    mountVolume(
      this.kind,
      this.spec,
      "mountConfigMap",
      { name, configMap: source },
      mountOf(mountPath, options),
    );
    return this;
  }

  /** Mounts a PersistentVolumeClaim at `mountPath`. */
  mountPvc(claimName: string, mountPath: string, options: MountOptions = {}): this {
    const name = options.volumeName ?? volumeNameFor("pvc", claimName);
    const volume = {
      name,
      persistentVolumeClaim: { claimName, ...(options.readOnly ? { readOnly: true } : {}) },
    };
    mountVolume(this.kind, this.spec, "mountPvc", volume, mountOf(mountPath, options));
    return this;
  }

  /** Where the pods may run: a node, node labels, tolerations of taints, affinity. */
  withNodeSelection(selection: NodeSelection): this {
    setNodeSelection(this.kind, this.spec, selection);
    return this;
  }

  withPriorityClass(name: string): this {
    kubernetesSpecOf(this.kind, this.spec, "withPriorityClass").priority_class_name = name;
    return this;
  }

  private putEnv(entry: EnvVar): this {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(entry.name)) {
      throw invalidCall("setEnv", "/spec/env", `"${entry.name}" is not an environment variable name`);
    }
    const spec = this.spec as { env?: EnvVar[] };
    const env = spec.env ?? [];
    const i = env.findIndex((e) => e.name === entry.name);
    if (i >= 0) env[i] = entry;
    else env.push(entry);
    spec.env = env;
    return this;
  }

  /** The document: a deep copy, with metadata.hash set to the current content hash. */
  toDocument(): FunctionDocument<K> {
    const doc = structuredClone(this.document());
    doc.metadata.hash = functionHash(doc);
    return doc;
  }

  /** The document without tag, hash, status and timestamps: what the hash covers. */
  content(): FunctionDocument<K> {
    return structuredClone(hashedContent(this.document() as unknown as Record<string, unknown>)) as never;
  }

  /** The live document (no copy); for this package's own use. */
  document(): FunctionDocument<K> {
    const doc: FunctionDocument<K> = { kind: this.kind, metadata: this.metadata, spec: this.spec };
    if (this.status !== undefined) doc.status = this.status;
    return doc;
  }
}

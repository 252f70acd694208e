/**
 * MLRun's function.yaml → sluice's function document. Both have the shape `{kind, metadata,
 * spec, status}` and the same field names; MLRun's exports add fields that only MLRun uses,
 * write empty values as '' or null, and keep Nuclio triggers under `spec.config`. This maps
 * what maps, drops what sluice does not use (saying so when the value mattered), and leaves
 * everything else to the schema, which names any field it does not know.
 */

export interface Normalised {
  doc: unknown;
  /** One line per dropped or rewritten setting a user may care about. */
  notes: string[];
  /** True when the document carried fields only MLRun writes. */
  fromMlrun: boolean;
}

/** Spec fields only MLRun uses, and why sluice has no use for them. */
const mlrunOnlySpec: Record<string, string> = {
  mode: "MLRun's run mode",
  entry_points: "MLRun's parameter docs of the handlers",
  disable_auto_mount: "MLRun's auto-mount",
  pythonpath: "sluice runs no Python wrapper",
  preemption_mode: "sluice has no preemption modes; use tolerations and node_selector",
  clone_target_dir: "MLRun's source clone",
  state_thresholds: "MLRun's pod state thresholds",
  base_image_pull: "MLRun's image build",
  function_kind: "MLRun's serving class family",
  add_templated_ingress_host_mode: "MLRun's ingress templates",
  base_spec: "a raw Nuclio spec",
  kfp_image: "Kubeflow Pipelines",
  auth: "MLRun's API gateway auth",
  serving_spec: "MLRun's serving spec cache",
  secret_sources: "MLRun's secret sources",
  readiness_timeout_before_failure: "MLRun's deploy polling",
  disable_default_http_trigger: "MLRun's default trigger",
  default_content_type: "MLRun's content type",
  driver_affinity: "per-role affinity",
  executor_affinity: "per-role affinity",
  driver_preemption_mode: "sluice has no preemption modes",
  executor_preemption_mode: "sluice has no preemption modes",
  driver_volume_mounts: "per-role mounts; use volume_mounts",
  executor_volume_mounts: "per-role mounts; use volume_mounts",
};

/** Values MLRun writes for "not set": dropping them loses nothing. */
const mlrunDefaults: Record<string, unknown> = {
  preemption_mode: "prevent",
  driver_preemption_mode: "prevent",
  executor_preemption_mode: "prevent",
  mode: "pass",
};

/** MLRun's kind names that differ from sluice's. */
const mlrunKinds: Record<string, string> = { remote: "nuclio" };

const mlrunOnlyBuild = new Set([
  "with_mlrun",
  "auto_build",
  "load_source_on_run",
  "requirements_file",
  "secret",
  "builder_env",
]);

/** Kubernetes objects MLRun sometimes writes in snake_case (older exports). */
const kubernetesLists = ["env", "volumes", "volume_mounts", "tolerations"] as const;

export function normaliseFunctionDocument(raw: unknown): Normalised {
  if (!isRecord(raw)) return { doc: raw, notes: [], fromMlrun: false };
  const notes: string[] = [];
  let fromMlrun = false;
  const doc: Record<string, unknown> = { ...raw };
  if ("verbose" in doc) {
    delete doc.verbose;
    fromMlrun = true;
  }
  if (doc.status === null) delete doc.status;
  const kind = typeof doc.kind === "string" ? mlrunKinds[doc.kind] : undefined;
  if (kind !== undefined) {
    notes.push(`MLRun's kind ${String(doc.kind)} is a Nuclio function: kind ${kind}`);
    doc.kind = kind;
    fromMlrun = true;
  }
  if (isRecord(doc.metadata)) doc.metadata = normaliseMetadata(doc.metadata, notes);
  if (isRecord(doc.spec)) {
    const spec = dropEmpty({ ...doc.spec });
    for (const [field, reason] of Object.entries(mlrunOnlySpec)) {
      if (!(field in spec)) continue;
      fromMlrun = true;
      const value = spec[field];
      if (meaningful(value) && mlrunDefaults[field] !== value) {
        notes.push(`dropped spec.${field} (${reason}): ${short(value)}`);
      }
      delete spec[field];
    }
    if (isRecord(spec.build)) spec.build = normaliseBuild(spec.build, notes);
    if (isRecord(spec.config)) {
      fromMlrun = true;
      Object.assign(spec, triggersFromConfig(spec.config, spec.triggers, notes));
      delete spec.config;
    }
    for (const list of kubernetesLists) {
      if (Array.isArray(spec[list])) spec[list] = spec[list].map(camelCaseKeys);
    }
    if (Array.isArray(spec.env)) spec.env = spec.env.map(stringValue);
    // Spark settings are strings to Spark; MLRun lets YAML numbers and booleans through.
    for (const conf of ["spark_conf", "hadoop_conf"] as const) {
      if (isRecord(spec[conf])) spec[conf] = stringValues(spec[conf]);
    }
    doc.spec = spec;
  }
  return { doc, notes, fromMlrun };
}

function normaliseMetadata(metadata: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  const out = dropEmpty({ ...metadata });
  for (const field of ["labels", "annotations"] as const) {
    if (!isRecord(out[field])) continue;
    // MLRun keeps labels as any YAML scalar (`tier: 1`); Kubernetes labels are strings.
    out[field] = Object.fromEntries(
      Object.entries(out[field])
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, typeof v === "string" ? v : String(v)]),
    );
  }
  if ("credentials" in out) {
    if (meaningful(out.credentials)) notes.push("dropped metadata.credentials (MLRun's access keys)");
    delete out.credentials;
  }
  return out;
}

function normaliseBuild(build: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  const out = dropEmpty({ ...build });
  for (const field of mlrunOnlyBuild) {
    if (!(field in out)) continue;
    if (meaningful(out[field]) && field !== "with_mlrun" && field !== "auto_build") {
      notes.push(`dropped spec.build.${field} (MLRun's image build): ${short(out[field])}`);
    }
    delete out[field];
  }
  return out;
}

/**
 * MLRun keeps Nuclio settings as dotted paths under `spec.config`; the triggers become
 * sluice's `spec.triggers`, anything else is a raw Nuclio setting sluice does not apply.
 */
function triggersFromConfig(
  config: Record<string, unknown>,
  existing: unknown,
  notes: string[],
): { triggers?: Record<string, unknown> } {
  const triggers: Record<string, unknown> = isRecord(existing) ? { ...existing } : {};
  for (const [key, value] of Object.entries(config)) {
    const name = /^spec\.triggers\.(.+)$/.exec(key)?.[1];
    if (name !== undefined && isRecord(value)) {
      const trigger = dropEmpty({ ...value });
      if (trigger.name === name) delete trigger.name;
      delete trigger.class;
      triggers[name] = trigger;
    } else {
      notes.push(`dropped spec.config["${key}"] (a raw Nuclio setting sluice does not apply)`);
    }
  }
  return Object.keys(triggers).length > 0 ? { triggers } : {};
}

function dropEmpty(record: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === "" || value === undefined) delete record[key];
  }
  return record;
}

function meaningful(value: unknown): boolean {
  if (value === null || value === undefined || value === "" || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    Object.defineProperty(out, camel, {
      value: camelCaseKeys(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** MLRun writes env values as any scalar (`value: 8080`); Kubernetes wants strings. */
function stringValue(entry: unknown): unknown {
  if (!isRecord(entry) || entry.value === undefined || typeof entry.value === "string") return entry;
  if (typeof entry.value === "object") return entry;
  return { ...entry, value: String(entry.value) };
}

function stringValues(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v !== null && typeof v !== "object" ? String(v) : v]),
  );
}

function short(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

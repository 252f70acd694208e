import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdDir, crdErrors, crdFor, readCrds, structuralProblems } from "./crd-schema.js";

const expected: Record<string, { group: string; version: string; kind: string; statusSubresource: boolean }> =
  {
    "nucliofunctions.nuclio.io": {
      group: "nuclio.io",
      version: "v1beta1",
      kind: "NuclioFunction",
      statusSubresource: false,
    },
    "nuclioprojects.nuclio.io": {
      group: "nuclio.io",
      version: "v1beta1",
      kind: "NuclioProject",
      statusSubresource: false,
    },
    "nucliofunctionevents.nuclio.io": {
      group: "nuclio.io",
      version: "v1beta1",
      kind: "NuclioFunctionEvent",
      statusSubresource: false,
    },
    "daskjobs.kubernetes.dask.org": {
      group: "kubernetes.dask.org",
      version: "v1",
      kind: "DaskJob",
      statusSubresource: true,
    },
    "mpijobs.kubeflow.org": {
      group: "kubeflow.org",
      version: "v2beta1",
      kind: "MPIJob",
      statusSubresource: true,
    },
    "sparkapplications.sparkoperator.k8s.io": {
      group: "sparkoperator.k8s.io",
      version: "v1beta2",
      kind: "SparkApplication",
      statusSubresource: true,
    },
  };

describe("deploy/crds", () => {
  const crds = readCrds();

  it("holds one CRD per file for each kind the test bed installs, and the kustomization lists them all", () => {
    expect(crds.map((c) => c.doc.metadata.name).sort()).toEqual(Object.keys(expected).sort());
    for (const crd of crds) expect(crd.file).toBe(`${crd.doc.metadata.name}.yaml`);
    const kustomization = parse(readFileSync(join(crdDir, "kustomization.yaml"), "utf8")) as {
      resources: string[];
    };
    expect([...kustomization.resources].sort()).toEqual(crds.map((c) => c.file).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: apiextensions.k8s.io/v1, ${want.kind} ${want.group}/${want.version}, namespaced, served and stored`, () => {
      const crd = crds.find((c) => c.doc.metadata.name === name);
      expect(crd).toBeDefined();
      const { doc } = crd as NonNullable<typeof crd>;
      expect(doc.apiVersion).toBe("apiextensions.k8s.io/v1");
      expect(doc.kind).toBe("CustomResourceDefinition");
      expect(doc.spec.group).toBe(want.group);
      expect(doc.spec.scope).toBe("Namespaced");
      expect(doc.spec.names.kind).toBe(want.kind);
      expect(`${doc.spec.names.plural}.${doc.spec.group}`).toBe(name);
      expect(doc.spec.names.singular).toBe(want.kind.toLowerCase());
      expect(doc.spec.versions).toHaveLength(1);
      const [version] = doc.spec.versions;
      expect(version).toMatchObject({ name: want.version, served: true, storage: true });
      expect(version?.schema?.openAPIV3Schema).toMatchObject({ type: "object" });
      expect(version?.subresources?.status !== undefined).toBe(want.statusSubresource);
      expect(structuralProblems(version?.schema?.openAPIV3Schema as Record<string, unknown>)).toEqual([]);
      expect(readFileSync(join(crdDir, crd?.file as string), "utf8")).toMatch(
        /^# .*\n(# .*\n)*# .*(github\.com|Source)/,
      );
    });
  }

  it("carries the API-approval annotation where the group is protected (*.k8s.io, *.kubernetes.io)", () => {
    const isProtected = (group: string) => /(^|\.)(k8s|kubernetes)\.io$/.test(group);
    expect(isProtected("sparkoperator.k8s.io")).toBe(true);
    expect(isProtected("kubernetes.dask.org")).toBe(false);
    for (const { doc } of crds.filter((c) => isProtected(c.doc.spec.group))) {
      expect(doc.metadata.annotations?.["api-approved.kubernetes.io"], doc.metadata.name).toMatch(
        /^https:\/\//,
      );
    }
  });

  it("leaves Nuclio's spec and status open, as Nuclio declares them", () => {
    for (const kind of ["NuclioFunction", "NuclioProject", "NuclioFunctionEvent"]) {
      const schema = crdFor(kind).doc.spec.versions[0]?.schema?.openAPIV3Schema as {
        properties: Record<string, Record<string, unknown>>;
      };
      expect(schema.properties.spec).toEqual({ "x-kubernetes-preserve-unknown-fields": true });
      expect(schema.properties.status).toEqual({ "x-kubernetes-preserve-unknown-fields": true });
      expect(crdErrors(crdFor(kind), { spec: { anything: [1, "two"] }, status: { state: "ready" } })).toEqual(
        [],
      );
    }
  });

  it("finds a node without a type: the structural check can fail", () => {
    const broken = { type: "object", properties: { spec: { properties: { a: { type: "string" } } } } };
    expect(structuralProblems(broken)).toEqual(["/spec: no type"]);
  });
});

describe("the operator CRDs reject what the operators' own CRDs reject", () => {
  const sparkApp = {
    apiVersion: "sparkoperator.k8s.io/v1beta2",
    kind: "SparkApplication",
    metadata: { name: "pi" },
    spec: {
      type: "Scala",
      mode: "cluster",
      sparkVersion: "3.5.1",
      mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
      driver: { cores: 1, memory: "512m" },
      executor: { cores: 1, instances: 1 },
    },
  };

  it("accepts a well-formed SparkApplication", () => {
    expect(crdErrors(crdFor("SparkApplication"), sparkApp)).toEqual([]);
  });

  it("rejects a SparkApplication with an unknown type, a missing sparkVersion, zero cores or a bad mode", () => {
    const crd = crdFor("SparkApplication");
    const bad = (patch: Record<string, unknown>) =>
      crdErrors(crd, { ...sparkApp, spec: { ...sparkApp.spec, ...patch } });
    expect(bad({ type: "Kotlin" }).join()).toContain(
      "/spec/type: must be equal to one of the allowed values",
    );
    const { sparkVersion: _drop, ...noVersion } = sparkApp.spec;
    expect(crdErrors(crd, { ...sparkApp, spec: noVersion }).join()).toContain("sparkVersion");
    expect(bad({ driver: { cores: 0 } }).join()).toContain("/spec/driver/cores");
    expect(bad({ mode: "local" }).join()).toContain("/spec/mode");
    expect(bad({ restartPolicy: { type: "Sometimes" } }).join()).toContain("/spec/restartPolicy/type");
    expect(bad({ monitoring: { exposeDriverMetrics: true } }).join()).toContain("exposeExecutorMetrics");
  });

  it("rejects an MPIJob without replica specs or with an unknown clean pod policy", () => {
    const crd = crdFor("MPIJob");
    expect(crdErrors(crd, { spec: { slotsPerWorker: 1 } }).join()).toContain("mpiReplicaSpecs");
    const withPolicy = { spec: { mpiReplicaSpecs: {}, runPolicy: { cleanPodPolicy: "Sometimes" } } };
    expect(crdErrors(crd, withPolicy).join()).toContain("/spec/runPolicy/cleanPodPolicy");
  });

  it("rejects a DaskJob without its cluster, or whose scheduler has no service", () => {
    const crd = crdFor("DaskJob");
    const pod = { containers: [{ name: "c", image: "i" }] };
    expect(crdErrors(crd, { spec: { job: { spec: pod } } }).join()).toContain("cluster");
    const noService = {
      spec: { job: { spec: pod }, cluster: { spec: { worker: { spec: pod }, scheduler: { spec: pod } } } },
    };
    expect(crdErrors(crd, noService).join()).toContain("service");
    const unnamed = {
      spec: {
        job: { spec: { containers: [{ image: "i" }] } },
        cluster: { spec: { worker: { spec: pod }, scheduler: { spec: pod, service: {} } } },
      },
    };
    expect(crdErrors(crd, unnamed).join()).toContain("/spec/job/spec/containers/0");
  });
});

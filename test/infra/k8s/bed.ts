import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { Cluster, type ClusterObject, waitForObject } from "../../../src/runtimes/cluster/index.js";
import { freePort } from "../free-port.js";
import { type Service, startService, TestBedError, waitUntilReady } from "../process.js";
import { ensureK8sBinaries } from "./binaries.js";
import { writeKubeconfig } from "./kubeconfig.js";
import { makePki } from "./pki.js";

/**
 * A real Kubernetes control plane on loopback, without Docker: etcd (embedded, ours),
 * kube-apiserver, kube-controller-manager and kube-scheduler v1.37 with RBAC, and kwok
 * playing one node (pods go Running, Jobs Complete, or Failed on request; no container
 * ever runs). The CRDs sluice renders for and its control-plane ClusterRole are installed.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const crdDir = join(repoRoot, "deploy", "crds");
export const rbacFile = join(repoRoot, "deploy", "rbac", "control-plane.yaml");

/** The fake node's name; its annotation is what kwok is told to manage. */
export const fakeNode = "kwok-node-0";
/** The restricted identity: a service account bound to deploy/rbac's ClusterRole only. */
export const restrictedAccount = { namespace: "sluice-system", name: "sluice-control-plane" };

export interface RunningK8s {
  server: string;
  /** Kubeconfig of a cluster admin (group system:masters). */
  adminKubeconfig: string;
  /** Kubeconfig of the restricted service account (deploy/rbac/control-plane.yaml). */
  restrictedKubeconfig: string;
  /**
   * The API server's audit log (JSON lines) of every request the restricted account makes:
   * what sluice's control plane asked and what RBAC decided, for the role's own test.
   */
  auditLog: string;
  /** kubectl at the bed's version. */
  kubectl: string;
  services: Service[];
  /** Seconds each part took to be ready, for bench/README.md. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

function token(): string {
  return randomBytes(24).toString("hex");
}

/** GET `path` on the API server with a bearer token; true on 200. */
function healthy(server: string, ca: string, bearer: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${server}${path}`,
      { ca, headers: { authorization: `Bearer ${bearer}` }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

function documentsIn(file: string): ClusterObject[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJS() as ClusterObject | null)
    .filter((doc): doc is ClusterObject => doc !== null && typeof doc === "object" && "kind" in doc);
}

/** Applies every document of a file with the admin identity. */
async function applyFile(admin: Cluster, file: string): Promise<ClusterObject[]> {
  const objects = documentsIn(file);
  for (const object of objects) await admin.apply(object);
  return objects;
}

/** Resolves once `done` holds for the named object (watched, not polled). */
async function until(
  admin: Cluster,
  what: { apiVersion: string; kind: string; name: string; namespace?: string },
  done: (o: ClusterObject) => boolean,
  part: string,
  timeoutMs = 60_000,
): Promise<void> {
  const { timedOut } = await waitForObject(admin, what, done, { timeoutMs });
  if (timedOut) throw new TestBedError(part, `${what.kind} ${what.name} not ready after ${timeoutMs} ms`);
}

function conditionTrue(object: ClusterObject, type: string): boolean {
  const conditions = (object.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}

/** Builds (first time on this machine) and starts the whole bed; a part that fails names itself. */
export async function startK8s(
  workDir: string,
  log: (line: string) => void = console.log,
  crds: string = crdDir,
): Promise<RunningK8s> {
  const bin = ensureK8sBinaries(log);
  const dir = join(workDir, "k8s");
  await mkdir(dir, { recursive: true });
  const timings: Record<string, number> = {};
  const services: Service[] = [];
  const timed = async <T>(part: string, start: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await start();
    timings[part] = (Date.now() - t0) / 1000;
    return result;
  };
  const stop = async () => {
    // The reverse of the start order: the node's controllers first, etcd last.
    for (const service of [...services].reverse()) await service.stop(5_000);
  };

  try {
    const pki = makePki(dir);
    const ca = readFileSync(pki.caCert, "utf8");

    // etcd
    const [etcdPort, etcdPeerPort] = [await freePort(), await freePort()];
    const etcd = startService(
      "etcd",
      bin.etcd,
      [
        "--data-dir",
        join(dir, "etcd"),
        "--client-port",
        String(etcdPort),
        "--peer-port",
        String(etcdPeerPort),
      ],
      join(dir, "etcd.log"),
    );
    services.push(etcd);
    await timed("etcd", () =>
      waitUntilReady(etcd, async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000),
    );

    // kube-apiserver, with static tokens for the admin and the control-plane components.
    const tokens = { admin: token(), controllerManager: token(), scheduler: token(), kwok: token() };
    const tokenFile = join(dir, "tokens.csv");
    writeFileSync(
      tokenFile,
      [
        `${tokens.admin},sluice-test-admin,uid-admin,"system:masters"`,
        `${tokens.controllerManager},system:kube-controller-manager,uid-kcm`,
        `${tokens.scheduler},system:kube-scheduler,uid-scheduler`,
        // kwok writes node and pod statuses as the node would; it is part of the bed, not under test.
        `${tokens.kwok},kwok-controller,uid-kwok,"system:masters"`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    // The audit policy records the restricted account's requests only (their verb, resource,
    // namespace, status and RBAC's decision), written before each answer is sent.
    const auditPolicy = join(dir, "audit-policy.yaml");
    const auditLog = join(dir, "audit.log");
    writeFileSync(
      auditPolicy,
      [
        "apiVersion: audit.k8s.io/v1",
        "kind: Policy",
        "omitStages: [RequestReceived]",
        "rules:",
        "  - level: Metadata",
        `    users: ["system:serviceaccount:${restrictedAccount.namespace}:${restrictedAccount.name}"]`,
        "  - level: None",
        "",
      ].join("\n"),
    );
    const apiPort = await freePort();
    const server = `https://127.0.0.1:${apiPort}`;
    const issuer = "https://kubernetes.default.svc.cluster.local";
    const apiserver = startService(
      "kube-apiserver",
      bin.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // With the advertise address on loopback the endpoint reconciler would fight itself.
        "--endpoint-reconciler-type=none",
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, "apiserver-certs")}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${tokenFile}`,
        "--authorization-mode=RBAC",
        `--service-account-issuer=${issuer}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--api-audiences=${issuer}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--profiling=false",
        "--enable-priority-and-fairness=false",
        `--audit-policy-file=${auditPolicy}`,
        `--audit-log-path=${auditLog}`,
        "--audit-log-mode=blocking",
      ],
      join(dir, "kube-apiserver.log"),
    );
    services.push(apiserver);
    await timed("kube-apiserver", () =>
      waitUntilReady(apiserver, () => healthy(server, ca, tokens.admin, "/readyz"), 60_000),
    );

    const kubeconfig = (name: string, user: string, bearer: string) =>
      writeKubeconfig(join(dir, `${name}.kubeconfig`), server, pki.caCert, user, bearer);
    const adminKubeconfig = kubeconfig("admin", "sluice-test-admin", tokens.admin);
    const kcmConfig = kubeconfig(
      "controller-manager",
      "system:kube-controller-manager",
      tokens.controllerManager,
    );
    const schedulerConfig = kubeconfig("scheduler", "system:kube-scheduler", tokens.scheduler);
    const kwokConfig = kubeconfig("kwok", "kwok-controller", tokens.kwok);

    // Controllers, scheduler and kwok start together; each is checked on its own health port.
    const [kcmPort, schedulerPort, kwokPort] = [await freePort(), await freePort(), await freePort()];
    const controllerManager = startService(
      "kube-controller-manager",
      bin.kubeControllerManager,
      [
        `--kubeconfig=${kcmConfig}`,
        `--authentication-kubeconfig=${kcmConfig}`,
        `--authorization-kubeconfig=${kcmConfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        "--leader-elect=false",
        "--controllers=*",
        // Each controller acts under its own service account, as kubeadm clusters run it.
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--profiling=false",
      ],
      join(dir, "kube-controller-manager.log"),
    );
    const scheduler = startService(
      "kube-scheduler",
      bin.kubeScheduler,
      [
        `--kubeconfig=${schedulerConfig}`,
        `--authentication-kubeconfig=${schedulerConfig}`,
        `--authorization-kubeconfig=${schedulerConfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${schedulerPort}`,
        "--leader-elect=false",
        "--profiling=false",
      ],
      join(dir, "kube-scheduler.log"),
    );
    const kwok = startService(
      "kwok",
      bin.kwok,
      [
        `--kubeconfig=${kwokConfig}`,
        `--config=${bin.kwokStages}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--cidr=10.244.0.0/16",
        "--node-ip=127.0.0.1",
        `--server-address=127.0.0.1:${kwokPort}`,
      ],
      join(dir, "kwok.log"),
    );
    services.push(controllerManager, scheduler, kwok);
    const insecureOk = (port: number, path: string) => () =>
      new Promise<boolean>((resolve) => {
        const req = request(
          `https://127.0.0.1:${port}${path}`,
          { rejectUnauthorized: false, timeout: 2000 },
          (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          },
        );
        req.on("error", () => resolve(false));
        req.end();
      });

    const admin = Cluster.connect({ kubeconfig: adminKubeconfig });
    await Promise.all([
      timed("kube-controller-manager", () =>
        waitUntilReady(controllerManager, insecureOk(kcmPort, "/healthz"), 60_000),
      ),
      timed("kube-scheduler", () => waitUntilReady(scheduler, insecureOk(schedulerPort, "/healthz"), 60_000)),
      timed("kwok node", async () => {
        await admin.create({
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name: fakeNode,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
              "kubernetes.io/hostname": fakeNode,
              "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64",
              type: "kwok",
            },
          },
          status: {
            allocatable: { cpu: "32", memory: "256Gi", pods: "500" },
            capacity: { cpu: "32", memory: "256Gi", pods: "500" },
          },
        });
        await Promise.race([
          until(
            admin,
            { apiVersion: "v1", kind: "Node", name: fakeNode },
            (node) => conditionTrue(node, "Ready"),
            "kwok",
          ),
          waitUntilReady(kwok, () => new Promise(() => {}), 60_000),
        ]);
      }),
      timed("CRDs", async () => {
        const files = readdirSync(crds).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
        if (files.length === 0) throw new TestBedError("CRDs", `no CRD files in ${crds}`);
        const objects = (await Promise.all(files.map((f) => applyFile(admin, join(crds, f))))).flat();
        await Promise.all(
          objects.map((crd) =>
            until(
              admin,
              { apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name },
              (o) => conditionTrue(o, "Established"),
              "CRDs",
            ),
          ),
        );
      }),
    ]);

    // The restricted identity: a real service-account token, bound to deploy/rbac's ClusterRole.
    const restrictedKubeconfig = await timed("restricted account", async () => {
      await admin.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: restrictedAccount.namespace },
      });
      await admin.apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { ...restrictedAccount } });
      const [role] = await applyFile(admin, rbacFile);
      if (!role) throw new TestBedError("RBAC", `${rbacFile} holds no ClusterRole`);
      await admin.apply({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "sluice-control-plane-test-bed" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", ...restrictedAccount }],
      });
      const core = admin.config.makeApiClient(CoreV1Api);
      const tokenRequest = await core.createNamespacedServiceAccountToken({
        ...restrictedAccount,
        body: { spec: { audiences: [issuer], expirationSeconds: 24 * 3600 } },
      });
      const saToken = tokenRequest.status?.token;
      if (!saToken) throw new TestBedError("RBAC", "the TokenRequest answered no token");
      return kubeconfig(
        "restricted",
        `system:serviceaccount:${restrictedAccount.namespace}:${restrictedAccount.name}`,
        saToken,
      );
    });

    return {
      server,
      adminKubeconfig,
      restrictedKubeconfig,
      auditLog,
      kubectl: bin.kubectl,
      services,
      timings,
      stop,
    };
  } catch (error) {
    await stop();
    if (error instanceof TestBedError) throw error;
    const last = services.at(-1);
    throw new TestBedError(
      "kubernetes",
      `${(error as Error).message}${last ? `\nlast lines of ${last.name} (${last.logFile}):\n${await last.tail()}` : ""}`,
    );
  }
}

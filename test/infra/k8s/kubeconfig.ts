import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

/** Writes a kubeconfig with one cluster, one bearer-token user and one context; returns its path. */
export function writeKubeconfig(
  file: string,
  server: string,
  caFile: string,
  user: string,
  token: string,
  namespace = "default",
): string {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "sluice-test-bed", cluster: { server, "certificate-authority": caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: "sluice-test-bed", user, namespace } }],
    "current-context": user,
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { onPath, runOrFail, TestBedError } from "../process.js";

/** The files of a bed's PKI: a CA, the API server's serving certificate, the service-account key pair. */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** The names and addresses the API server answers to, in and out of the (fake) cluster. */
const servingNames = [
  "DNS:localhost",
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
  "DNS:kubernetes.default.svc.cluster.local",
  "IP:127.0.0.1",
  "IP:10.96.0.1",
];

/** Makes a fresh PKI in `dir` with openssl: valid for a day, which is longer than any test run. */
export function makePki(dir: string): Pki {
  if (!onPath("openssl")) throw new TestBedError("kubernetes PKI", "openssl is not on PATH");
  const file = (name: string) => join(dir, name);
  const ssl = (what: string, ...args: string[]) => runOrFail("kubernetes PKI", "openssl", args, what);
  const pki: Pki = {
    caCert: file("ca.crt"),
    caKey: file("ca.key"),
    servingCert: file("apiserver.crt"),
    servingKey: file("apiserver.key"),
    serviceAccountKey: file("sa.key"),
    serviceAccountPub: file("sa.pub"),
  };
  ssl(
    "the CA",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    pki.caKey,
    "-out",
    pki.caCert,
    "-days",
    "1",
    "-subj",
    "/CN=sluice-test-bed-ca",
  );
  const extensions = file("apiserver.ext");
  writeFileSync(
    extensions,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${servingNames.join(",")}`,
      "",
    ].join("\n"),
  );
  const csr = file("apiserver.csr");
  ssl(
    "the serving key",
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    pki.servingKey,
    "-out",
    csr,
    "-subj",
    "/CN=kube-apiserver",
  );
  ssl(
    "the serving certificate",
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    pki.caCert,
    "-CAkey",
    pki.caKey,
    "-CAcreateserial",
    "-out",
    pki.servingCert,
    "-days",
    "1",
    "-extfile",
    extensions,
  );
  // Service-account tokens are signed with RSA, which every Kubernetes version accepts.
  ssl("the service-account key", "genrsa", "-out", pki.serviceAccountKey, "2048");
  ssl(
    "the service-account public key",
    "rsa",
    "-in",
    pki.serviceAccountKey,
    "-pubout",
    "-out",
    pki.serviceAccountPub,
  );
  return pki;
}

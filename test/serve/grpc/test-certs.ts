import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files of a throwaway CA, a server and a client it signed. */
export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  read(file: string): Buffer;
}

/** Whether `openssl` can be run here; TLS tests skip without it. */
export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Generates the CA and two certificates in a new temporary directory. */
export function generateCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "tributary-tls-"));
  const file = (name: string) => join(dir, name);
  const ssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=tributary test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1\n");
  issue(ssl, "server", "/CN=127.0.0.1", "server.ext");
  issue(ssl, "client", "/CN=test client");
  return {
    dir,
    caFile: file("ca.pem"),
    serverCertFile: file("server.pem"),
    serverKeyFile: file("server.key"),
    clientCertFile: file("client.pem"),
    clientKeyFile: file("client.key"),
    read: (path) => readFileSync(path),
  };
}

function issue(
  ssl: (...args: string[]) => Buffer,
  name: string,
  subject: string,
  extensions?: string,
): void {
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    subject,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  );
  const ext = extensions === undefined ? [] : ["-extfile", extensions];
  ssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-out",
    `${name}.pem`,
    ...ext,
  );
}

import { readFileSync } from "node:fs";
import { ServerCredentials } from "@grpc/grpc-js";
import type { ServerConfig } from "../../config/index.js";

/** The TLS settings of `server.grpcTls`. */
export type GrpcTlsConfig = NonNullable<ServerConfig["grpcTls"]>;

/**
 * Server credentials from `server.grpcTls`: plain text without it, TLS with
 * it, and mutual TLS (a client certificate signed by `clientCaFile`
 * required) when `clientCaFile` is set. Throws an Error naming the config
 * field and path of a file that cannot be read.
 */
export function createServerCredentials(
  tls: GrpcTlsConfig | undefined,
): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const cert = readPem("certFile", tls.certFile);
  const key = readPem("keyFile", tls.keyFile);
  const clientCa =
    tls.clientCaFile === undefined
      ? null
      : readPem("clientCaFile", tls.clientCaFile);
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: cert, private_key: key }],
    clientCa !== null,
  );
}

function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`cannot read server.grpcTls.${field} "${path}": ${why}`);
  }
}

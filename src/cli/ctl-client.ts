import { readFileSync } from "node:fs";
import {
  type CallOptions,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { ControlServiceClient } from "../gen/tributary/v1/control.js";

/** The flags every `tributary ctl` command shares. */
export interface CtlFlags {
  /** host:port of the gateway's gRPC server. */
  addr: string;
  /** Bearer token; defaults to $TRIBUTARY_TOKEN. */
  token?: string;
  /** PEM CA bundle: talk TLS and trust this CA. */
  tlsCa?: string;
  /** Print responses as JSON instead of tables. */
  json?: boolean;
}

/** The default gRPC address, the gateway's default `server.grpcPort`. */
export const DEFAULT_ADDR = "127.0.0.1:50051";

/** How long one unary control call may take, connecting included. */
const CALL_TIMEOUT_MS = 10_000;

/** Exit code of a request the gateway found invalid (INVALID_ARGUMENT). */
export const EXIT_INVALID = 2;

/** A ControlService client and the metadata of every call. */
export interface CtlConnection {
  readonly client: ControlServiceClient;
  readonly metadata: Metadata;
}

/** Opens a client from the flags (TLS with --tls-ca, token from env). */
export function connect(flags: CtlFlags): CtlConnection {
  const channel =
    flags.tlsCa === undefined
      ? credentials.createInsecure()
      : credentials.createSsl(readCa(flags.tlsCa));
  const client = new ControlServiceClient(flags.addr, channel);
  const metadata = new Metadata();
  const token = flags.token ?? process.env.TRIBUTARY_TOKEN;
  if (token !== undefined && token !== "") {
    metadata.set("authorization", `Bearer ${token}`);
  }
  return { client, metadata };
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CtlInputError(`cannot read --tls-ca "${path}": ${why}`);
  }
}

// The last overload of a generated client method, which TypeScript
// infers types from.
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls one unary RPC with the connection's metadata and a deadline. */
export function unary<Req, Res>(
  connection: CtlConnection,
  method: UnaryMethod<Req, Res>,
  request: Req,
): Promise<Res> {
  const deadline = Date.now() + CALL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    method.call(
      connection.client,
      request,
      connection.metadata,
      { deadline },
      (error, response) => (error === null ? resolve(response) : reject(error)),
    );
  });
}

/** Bad input on our side (a FILE, a flag): exits like INVALID_ARGUMENT. */
export class CtlInputError extends Error {
  override readonly name = "CtlInputError";
}

/**
 * Prints why a command failed as `error: <CODE>: <details>` and sets the
 * exit code: 2 for input the gateway or we refused, 1 otherwise.
 */
export function reportFailure(err: unknown): void {
  if (isServiceError(err)) {
    const code = status[err.code] ?? String(err.code);
    process.stderr.write(`error: ${code}: ${err.details}\n`);
    process.exitCode = err.code === status.INVALID_ARGUMENT ? EXIT_INVALID : 1;
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = err instanceof CtlInputError ? EXIT_INVALID : 1;
}

function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === "number" &&
    typeof (err as Partial<ServiceError>).details === "string"
  );
}

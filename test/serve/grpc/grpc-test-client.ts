import {
  type CallOptions,
  type ChannelCredentials,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { ControlServiceClient } from "../../../src/gen/tributary/v1/control.js";

/** A real ControlService client of `127.0.0.1:port`. */
export function controlClient(
  port: number,
  channel: ChannelCredentials = credentials.createInsecure(),
): ControlServiceClient {
  return new ControlServiceClient(`127.0.0.1:${port}`, channel);
}

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

// The last overload of a generated method, which TypeScript infers from.
type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a unary RPC and resolves with its response; rejects with the error. */
export function call<Req, Res>(
  method: Unary<Req, Res>,
  client: ControlServiceClient,
  request: Req,
  metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, {}, (error, response) => {
      if (error === null) resolve(response);
      else reject(error);
    });
  });
}

/** Calls a unary RPC that must fail, and resolves with its error. */
export async function failure<Req, Res>(
  method: Unary<Req, Res>,
  client: ControlServiceClient,
  request: Req,
  metadata = new Metadata(),
): Promise<ServiceError> {
  try {
    await call(method, client, request, metadata);
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("the call succeeded; expected an error");
}

/** Why a proxy control call was refused. */
export type ProxyErrorCode =
  /** No pool or backend with that id. */
  | "NOT_FOUND"
  /** The id or path is taken. */
  | "ALREADY_EXISTS"
  /** The request breaks the pool schema. */
  | "INVALID_ARGUMENT";

/**
 * The one error class of the proxy's control methods; `code` maps one to
 * one onto the gRPC status of the same name.
 */
export class ProxyError extends Error {
  readonly code: ProxyErrorCode;

  constructor(code: ProxyErrorCode, message: string) {
    super(message);
    this.name = "ProxyError";
    this.code = code;
  }
}

/**
 * Turns what `ws` and the socket report into the one-line reasons of a
 * `down` state. Operators grep these, so each failure class has one fixed
 * prefix, and the detail (errno, status, close code) follows it.
 */

/** Socket errors that mean nobody accepted the TCP connection. */
const REFUSED_CODES = new Set(["ECONNREFUSED"]);

/**
 * Socket errors that can happen while dialing, before any byte of the
 * handshake: DNS, routing, resets during connect.
 */
const DIAL_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

/** The `code` ws puts on a frame larger than `maxPayload`. */
const FRAME_TOO_LARGE_CODE = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

/** ws reports its handshake timeout only through this message. */
const HANDSHAKE_TIMEOUT_MESSAGE = "Opening handshake has timed out";

/** Context a reason may need beyond the error itself. */
export interface ReasonContext {
  /** The `handshakeTimeout` that was used, in ms. */
  readonly connectTimeoutMs: number;
  /** The `maxPayload` that was used, in bytes. */
  readonly maxFrameBytes: number;
}

/**
 * The reason for a ws `error` event.
 *
 * @example describeError(refusedError, context)
 * // "connect refused: ECONNREFUSED"
 */
export function describeError(error: unknown, context: ReasonContext): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);

  if (code !== undefined && REFUSED_CODES.has(code)) {
    return `connect refused: ${code}`;
  }
  if (code !== undefined && DIAL_CODES.has(code)) {
    return `connect failed: ${code}`;
  }
  if (code === FRAME_TOO_LARGE_CODE) {
    return `frame too large (limit ${context.maxFrameBytes} bytes)`;
  }
  if (message === HANDSHAKE_TIMEOUT_MESSAGE) {
    return `handshake timeout (${context.connectTimeoutMs}ms)`;
  }
  // ws names its protocol violations WS_ERR_*: invalid opcode, bad UTF-8,
  // masked server frames. The upstream broke the protocol.
  if (code?.startsWith("WS_ERR_")) return `protocol error: ${message}`;
  // errno codes (ECONNRESET, EPIPE) come from the socket; Node's own
  // ERR_* codes come with a message that says more than the code.
  if (code !== undefined && /^E[A-Z]+$/.test(code)) {
    return `socket error: ${code}`;
  }
  return `error: ${message}`;
}

/** The reason for an HTTP response that refused the WebSocket upgrade. */
export function describeHttpStatus(statusCode: number | undefined): string {
  return `unexpected HTTP ${statusCode ?? "response"}`;
}

/**
 * The reason for a close that no error explained. 1005 (no status) and
 * 1006 (no close frame at all) are set by ws, not sent by the upstream.
 */
export function describeClose(code: number, reason: Buffer): string {
  if (code === 1006) return "connection lost: no close frame";
  if (code === 1005) return "closed by upstream: no status";
  // The protocol caps a close reason at 123 bytes, and ws checks it is
  // UTF-8, so it is safe to log as a value.
  const text = reason.toString("utf8").trim();
  return text === ""
    ? `closed by upstream: ${code}`
    : `closed by upstream: ${code} ${text}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Every `code` the gateway may put in an `error` frame of the client
 * WebSocket protocol. The README lists the same table; a test keeps them
 * in step.
 */
export const WsErrorCode = {
  /** The frame is not valid JSON. */
  BAD_JSON: "BAD_JSON",
  /** Valid JSON, but not a request object of the protocol. */
  BAD_REQUEST: "BAD_REQUEST",
  /** The request's `type` is not one the gateway knows. */
  UNKNOWN_TYPE: "UNKNOWN_TYPE",
  /** A pattern in `topics` breaks the topic syntax. */
  INVALID_PATTERN: "INVALID_PATTERN",
  /** A `resume` key is not a valid topic. */
  INVALID_TOPIC: "INVALID_TOPIC",
  /** The subscription would exceed `limits.maxSubscriptionsPerSession`. */
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  /**
   * A frame of the wrong kind: binary on the JSON subprotocol, text on
   * the binary one.
   */
  UNSUPPORTED_FRAME: "UNSUPPORTED_FRAME",
  /**
   * Every source serving the topic on demand is at its upstream
   * subscription limit; the topic was not added (`topic` names it).
   */
  UPSTREAM_LIMIT: "UPSTREAM_LIMIT",
  /**
   * The upstream refused the subscription of `topic`; the message holds
   * its reason. The session keeps the pattern.
   */
  UPSTREAM_REJECTED: "UPSTREAM_REJECTED",
  /** The gateway failed on a valid request: a bug, logged at error level. */
  INTERNAL: "INTERNAL",
} as const;

export type WsErrorCode = (typeof WsErrorCode)[keyof typeof WsErrorCode];

/**
 * Close codes the gateway uses besides the normal 1000 and 1001. 1009 is
 * sent by `ws` itself when a client frame exceeds the size limit.
 */
export const WsCloseCode = {
  /** Going away: the gateway is shutting down. */
  GOING_AWAY: 1001,
  /** Policy violation: the client could not keep up (slow consumer). */
  POLICY_VIOLATION: 1008,
  /** Message too big: a client frame exceeded `maxClientFrameBytes`. */
  MESSAGE_TOO_BIG: 1009,
} as const;

/** A request the session refuses, with the code sent to the client. */
export class ProtocolError extends Error {
  readonly code: WsErrorCode;
  /** The request's `id`, echoed in the error frame when known. */
  readonly requestId?: string;

  constructor(code: WsErrorCode, message: string, requestId?: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.requestId = requestId;
  }
}

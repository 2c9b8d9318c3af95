import type { RawData } from "ws";
import {
  TopicError,
  validatePattern,
  validateTopic,
} from "../../topics/index.js";
import { ProtocolError, WsErrorCode } from "./error-codes.js";

/*
 * The checks and conversions a session applies to client frames, turning
 * failures into the ProtocolErrors its error frames carry.
 */

/** Keeps a bug in request handling from taking the process down. */
export function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(
    WsErrorCode.INTERNAL,
    "the gateway failed to handle this request; it has been logged",
  );
}

/** Throws INVALID_PATTERN, naming the token, unless `pattern` is valid. */
export function checkPattern(
  pattern: string,
  requestId: string | undefined,
): void {
  try {
    validatePattern(pattern);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    throw new ProtocolError(
      WsErrorCode.INVALID_PATTERN,
      err.message,
      requestId,
    );
  }
}

/** Throws INVALID_TOPIC unless the `resume` key `topic` is a topic. */
export function checkResumeTopic(
  topic: string,
  requestId: string | undefined,
): void {
  try {
    validateTopic(topic);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    throw new ProtocolError(
      WsErrorCode.INVALID_TOPIC,
      `resume: ${err.message}`,
      requestId,
    );
  }
}

/** A text frame's payload, however `ws` delivered it, as UTF-8. */
export function rawToString(data: RawData): string {
  return rawToBuffer(data).toString("utf8");
}

/** A binary frame's payload, however `ws` delivered it, as one buffer. */
export function rawToBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

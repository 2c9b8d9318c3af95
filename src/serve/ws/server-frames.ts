import type { WsErrorCode } from "./error-codes.js";

/**
 * Encoders for the gateway's replies of the JSON client protocol. The
 * stream frames live elsewhere: `message` and `gap` in
 * `src/codecs/wire-json.ts`, `reset` in `../notice-json.ts`.
 */

export function subscribedFrame(
  id: string | undefined,
  topics: readonly string[],
): string {
  return JSON.stringify({ type: "subscribed", id, topics });
}

export function unsubscribedFrame(
  id: string | undefined,
  topics: readonly string[],
): string {
  return JSON.stringify({ type: "unsubscribed", id, topics });
}

export function pongFrame(id: string | undefined): string {
  return JSON.stringify({ type: "pong", id });
}

export function errorFrame(
  id: string | undefined,
  code: WsErrorCode,
  message: string,
): string {
  return JSON.stringify({ type: "error", id, code, message });
}

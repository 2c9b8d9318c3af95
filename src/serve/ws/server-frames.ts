import type { WsErrorCode } from "./error-codes.js";

/**
 * Encoders for the gateway's replies of the JSON client protocol. The
 * high-volume `message` and `gap` frames live in `src/codecs/wire-json.ts`.
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

/**
 * Tells a resuming client that the topic's sequence history it knew is
 * gone: `epoch` is the topic's current epoch (absent when the topic has no
 * messages yet), and seqs restart there.
 */
export function resetFrame(
  topic: string,
  epoch: string | undefined,
  reason: string,
): string {
  return JSON.stringify({ type: "reset", topic, epoch, reason });
}

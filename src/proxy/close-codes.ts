import type { WebSocket } from "ws";

/** Close codes the proxy sends of its own accord. */
export const ProxyCloseCode = {
  /** The gateway is shutting down, or the pool was removed. */
  GOING_AWAY: 1001,
  /** The backend went away and the session could not stay: reconnect. */
  SERVICE_RESTART: 1012,
  /** The backend connection was lost and no other backend took over. */
  BAD_GATEWAY: 1014,
} as const;

/**
 * Backend close codes that mean the backend went away rather than that
 * the session ended: the session may move. 1006 is what ws reports when
 * the connection dropped without a close frame.
 */
export const BACKEND_LOST_CODES: ReadonlySet<number> = new Set([
  1001, 1006, 1012,
]);

/**
 * Passes a close received on one side to the other. ws reports 1005 when
 * the close frame had no code and 1006 when there was no close frame;
 * neither may be sent, so the first becomes a close without a code and
 * the second a dropped connection, as the peer saw it.
 */
export function relayClose(to: WebSocket, code: number, reason: Buffer): void {
  if (to.readyState === to.CLOSED) return;
  if (code === 1006) to.terminate();
  else if (code === 1005) to.close();
  else to.close(code, reason);
}

/** The most bytes a close reason may hold (RFC 6455, 5.5.1). */
const MAX_REASON_BYTES = 123;

/** Cuts a close reason to what a close frame can carry. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_REASON_BYTES) return text;
  let cut = text.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(cut) > MAX_REASON_BYTES - 3) {
    cut = cut.slice(0, -1);
  }
  return `${cut}...`;
}

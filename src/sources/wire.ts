import WebSocket from "ws";
import type { OutgoingFrame } from "../config/schema.js";

/**
 * How long closeSocket() lets the close handshake run before it cuts the
 * socket. An upstream that stopped reading would otherwise hold a stop for
 * the 30 seconds ws waits by itself.
 */
const CLOSE_GRACE_MS = 1_000;

/** A configured frame as sent: a string as is, anything else as JSON. */
export function serializeFrame(frame: OutgoingFrame): string {
  return typeof frame === "string" ? frame : JSON.stringify(frame);
}

/** The bytes of a ws message, whatever `binaryType` produced. */
export function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Closes with 1000 and resolves on the `close` event; cuts the socket when
 * the upstream does not answer within a second.
 */
export function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once("close", () => {
      clearTimeout(cut);
      resolve();
    });
    socket.close(1000, "gateway stopping");
  });
}

import { WebSocket } from "ws";

/**
 * How long a client the gateway closes has to answer the close frame
 * before its socket is cut, and how long at most while it is still
 * reading what was sent before the close frame (see below).
 */
const CLOSE_GRACE_MS = 1_000;
const CLOSE_GRACE_MAX_MS = 10_000;

/**
 * Cuts the socket of a session the gateway closed. A client that stopped
 * reading never answers the close frame, and ws would hold its socket
 * (and the memory behind it) for 30 s: cut it after a grace. Cutting
 * sends what the kernel already holds, then FIN, so a client that reads
 * later still finds the close frame there; but the frame is lost if it
 * still waits in user space behind a backlog.
 * So while that backlog shrinks from one look to the next (the client
 * reads, slowly), the cut waits another grace, up to the longest one.
 */
export function cutAfterGrace(socket: WebSocket): void {
  const startedAt = performance.now();
  let pending = socket.bufferedAmount;
  const look = () => {
    if (socket.readyState === WebSocket.CLOSED) return;
    const now = socket.bufferedAmount;
    const reading = now > 0 && now < pending;
    const waited = performance.now() - startedAt;
    if (reading && waited + CLOSE_GRACE_MS <= CLOSE_GRACE_MAX_MS) {
      pending = now;
      setTimeout(look, CLOSE_GRACE_MS).unref();
      return;
    }
    socket.terminate();
  };
  setTimeout(look, CLOSE_GRACE_MS).unref();
}

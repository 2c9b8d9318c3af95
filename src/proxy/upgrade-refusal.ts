import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Answers an upgrade request with a plain-text HTTP error and closes the
 * socket. 503 carries a Retry-After, since no healthy backend is usually
 * a passing state.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  retryAfterSeconds = 1,
): void {
  if (socket.destroyed) return;
  const body = `${reason}\n`;
  const retry = status === 503 ? `Retry-After: ${retryAfterSeconds}\r\n` : "";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      `${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Why an upgrade request is not a valid WebSocket handshake, or
 * undefined when it is. Checked before any backend is dialled, so a bad
 * request costs no backend connection.
 */
export function handshakeProblem(headers: {
  readonly method?: string;
  readonly upgrade?: string;
  readonly key?: string;
  readonly version?: string;
}): string | undefined {
  if (headers.method !== "GET") return "a WebSocket handshake is a GET";
  if (headers.upgrade?.toLowerCase() !== "websocket") {
    return "missing or invalid Upgrade header";
  }
  if (!/^[+/0-9A-Za-z]{22}==$/.test(headers.key ?? "")) {
    return "missing or invalid Sec-WebSocket-Key header";
  }
  if (headers.version !== "13") {
    return "missing or invalid Sec-WebSocket-Version header";
  }
  return undefined;
}

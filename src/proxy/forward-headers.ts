import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/**
 * The headers sent to the backend: the configured client headers (names
 * in lowercase) plus X-Forwarded-For, with the client's address appended
 * to any the client sent, and X-Forwarded-Proto.
 */
export function forwardedHeaders(
  req: IncomingMessage,
  names: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) continue;
    // Only set-cookie comes as an array in Node, and it is a response
    // header; join defensively all the same.
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }

  const address = req.socket.remoteAddress ?? "unknown";
  const earlier = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] =
    earlier === undefined ? address : `${earlier}, ${address}`;
  const encrypted = (req.socket as TLSSocket).encrypted === true;
  headers["x-forwarded-proto"] = encrypted ? "https" : "http";
  return headers;
}

/** The subprotocols the client asked for, in its order of preference. */
export function requestedProtocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return [];
  return header
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

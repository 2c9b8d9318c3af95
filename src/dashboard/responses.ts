import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** The realm named in `WWW-Authenticate` on a 401. */
const REALM = 'Bearer realm="tributary dashboard"';

/**
 * Answers a refused upgrade with a plain HTTP response and closes the
 * socket; a 401 names the bearer scheme.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  message: string,
): void {
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (status === 401) lines.push(`WWW-Authenticate: ${REALM}`);
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

/** Headers every dashboard answer carries. */
const COMMON_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  // The page URL may carry `?token=`: never hand it to another site.
  "referrer-policy": "no-referrer",
};

/**
 * The page may run its own inline script and style, talk to this origin
 * (its socket included) and nothing else.
 */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sends `body` with `status`; HEAD gets the headers only. */
export function reply(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    ...extra,
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Sends the page with its content security policy. */
export function replyPage(res: ServerResponse, html: Buffer): void {
  reply(res, 200, "text/html; charset=utf-8", html, {
    "content-security-policy": PAGE_POLICY,
    "x-frame-options": "DENY",
  });
}

/** A 401 that says how to pass a token. */
export function replyUnauthorized(res: ServerResponse, reason: string): void {
  const body =
    `${reason}: this dashboard needs a read or admin token from ` +
    "auth.control.tokens; open it as /?token=<token>\n";
  reply(res, 401, "text/plain; charset=utf-8", body, {
    "www-authenticate": REALM,
  });
}

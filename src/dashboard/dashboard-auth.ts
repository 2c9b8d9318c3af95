import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthConfig } from "../config/index.js";

/**
 * The subprotocol the dashboard socket speaks; the page always offers it,
 * and the gateway selects it, so the bearer value is never echoed back.
 */
export const DASHBOARD_SUBPROTOCOL = "tributary.dashboard.v1";

/**
 * Prefix of the subprotocol value that carries a token to the socket:
 * `bearer.` followed by the token's UTF-8 bytes in unpadded base64url.
 * A browser WebSocket cannot set headers, and a subprotocol must be an
 * HTTP token, which a raw token with `/` or `=` in it would not be.
 */
export const BEARER_SUBPROTOCOL_PREFIX = "bearer.";

/** Who may look: the configured token's name and role, never the token. */
export interface DashboardViewer {
  readonly role: "read" | "admin";
  readonly name?: string;
}

/** The outcome of checking one request's token. */
export type DashboardAccess =
  | { readonly ok: true; readonly viewer: DashboardViewer }
  | { readonly ok: false; readonly reason: RefusalReason };

/** Why a request was refused; never says which token came close. */
export type RefusalReason =
  | "missing token"
  | "malformed token"
  | "unknown token";

/** Checks dashboard requests against `auth.control.tokens`. */
export interface DashboardAuth {
  /** False when no token is configured: everyone may look. */
  readonly enabled: boolean;
  /**
   * Checks the page or snapshot request: `?token=` on the URL, else an
   * `Authorization: Bearer` header.
   */
  checkPage(req: IncomingMessage): DashboardAccess;
  /**
   * Checks the socket upgrade: a `bearer.<base64url>` subprotocol value,
   * else an `Authorization: Bearer` header (for tools that can set one).
   */
  checkUpgrade(req: IncomingMessage): DashboardAccess;
}

const ANONYMOUS: DashboardAccess = { ok: true, viewer: { role: "admin" } };

interface KnownToken {
  readonly digest: Buffer;
  readonly viewer: DashboardViewer;
}

/**
 * Creates the check for the configured tokens. Both roles may view: the
 * dashboard only reads.
 */
export function createDashboardAuth(auth: AuthConfig): DashboardAuth {
  const known: KnownToken[] = auth.control.tokens.map((entry) => ({
    digest: digestOf(entry.token),
    viewer: { role: entry.role, name: entry.name },
  }));
  const enabled = known.length > 0;
  // `null` is a credential that was given but cannot be read.
  const check = (token: string | null | undefined): DashboardAccess => {
    if (!enabled) return ANONYMOUS;
    if (token === undefined || token === "") {
      return { ok: false, reason: "missing token" };
    }
    if (token === null) return { ok: false, reason: "malformed token" };
    const viewer = findViewer(known, token);
    return viewer === undefined
      ? { ok: false, reason: "unknown token" }
      : { ok: true, viewer };
  };
  return {
    enabled,
    checkPage: (req) => check(queryToken(req) ?? headerToken(req)),
    checkUpgrade: (req) => {
      const offered = subprotocolToken(req);
      return check(offered === undefined ? headerToken(req) : offered);
    },
  };
}

/** Encodes a token as the page's script does for the socket. */
export function bearerSubprotocol(token: string): string {
  const encoded = Buffer.from(token, "utf8").toString("base64url");
  return `${BEARER_SUBPROTOCOL_PREFIX}${encoded}`;
}

/**
 * Compares SHA-256 digests, so every comparison takes the same time
 * whatever the token's length, and checks every configured token, so the
 * position of a match does not show either.
 */
function findViewer(
  known: readonly KnownToken[],
  token: string,
): DashboardViewer | undefined {
  const digest = digestOf(token);
  let found: DashboardViewer | undefined;
  for (const entry of known) {
    if (timingSafeEqual(entry.digest, digest)) found ??= entry.viewer;
  }
  return found;
}

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function queryToken(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? "/", "http://localhost");
  return url.searchParams.get("token") ?? undefined;
}

function headerToken(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (value === undefined) return undefined;
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value)?.[1];
}

/** The token of the first `bearer.` value; null when it is not base64url. */
function subprotocolToken(req: IncomingMessage): string | null | undefined {
  for (const value of offeredSubprotocols(req)) {
    if (!value.startsWith(BEARER_SUBPROTOCOL_PREFIX)) continue;
    const encoded = value.slice(BEARER_SUBPROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return null;
    return Buffer.from(encoded, "base64url").toString("utf8");
  }
  return undefined;
}

/** The values of `Sec-WebSocket-Protocol`, trimmed, empty ones left out. */
export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return [];
  return header
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

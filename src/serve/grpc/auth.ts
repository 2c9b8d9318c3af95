import { createHash, timingSafeEqual } from "node:crypto";
import {
  type Metadata,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { AuthConfig } from "../../config/index.js";
import type { GrpcStatus } from "./control-errors.js";

/** What a token may do: `read` lists and watches, `admin` also changes. */
export type Role = "read" | "admin";

/** Who made a call, as far as logs may say: never the token itself. */
export interface Caller {
  readonly role: Role;
  /** The token's configured name, when it has one. */
  readonly name?: string;
}

/** The outcome of checking one call's credentials. */
export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly status: GrpcStatus };

/** Checks bearer tokens of incoming calls against `auth.control.tokens`. */
export interface Authorizer {
  /** False when no token is configured: every call is then allowed. */
  readonly enabled: boolean;
  /**
   * Checks the call's `authorization` metadata; `mutating` calls need an
   * admin token. `rpc` names the method in the refusal.
   */
  check(metadata: Metadata, rpc: string, mutating: boolean): AuthResult;
}

interface KnownToken {
  readonly digest: Buffer;
  readonly caller: Caller;
}

const ANONYMOUS: AuthResult = { ok: true, caller: { role: "admin" } };

/** Creates the authorizer for the configured tokens. */
export function createAuthorizer(auth: AuthConfig): Authorizer {
  const known: KnownToken[] = auth.control.tokens.map((entry) => ({
    digest: digestOf(entry.token),
    caller: { role: entry.role, name: entry.name },
  }));
  const enabled = known.length > 0;
  return {
    enabled,
    check(metadata, rpc, mutating) {
      if (!enabled) return ANONYMOUS;
      const token = bearerToken(metadata);
      if (token === undefined) return refuse("missing bearer token");
      const caller = findCaller(known, token);
      if (caller === undefined) return refuse("unknown bearer token");
      if (mutating && caller.role !== "admin") {
        return {
          ok: false,
          status: {
            code: status.PERMISSION_DENIED,
            details: `${rpc} needs an admin token; this token may only read`,
          },
        };
      }
      return { ok: true, caller };
    },
  };
}

function refuse(details: string): AuthResult {
  return { ok: false, status: { code: status.UNAUTHENTICATED, details } };
}

function bearerToken(metadata: Metadata): string | undefined {
  const [value] = metadata.get("authorization");
  if (typeof value !== "string") return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match?.[1];
}

/**
 * Compares digests so every comparison takes the same time whatever the
 * token, and checks every configured token so the position of a match
 * does not show either.
 */
function findCaller(
  known: readonly KnownToken[],
  token: string,
): Caller | undefined {
  const digest = digestOf(token);
  let found: Caller | undefined;
  for (const entry of known) {
    if (timingSafeEqual(entry.digest, digest)) found ??= entry.caller;
  }
  return found;
}

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Wraps every handler of `implementation` with a token check; names in
 * `mutating` (handler keys, like `addSource`) need an admin token.
 * Refused calls never reach the handler; they are logged with the
 * caller's name, never the token.
 */
export function withAuth<T extends UntypedServiceImplementation>(
  definition: ServiceDefinition,
  implementation: T,
  mutating: ReadonlySet<string>,
  options: { authorizer: Authorizer; logger: Logger },
): T {
  const wrapped: UntypedServiceImplementation = {};
  for (const [key, handler] of Object.entries(implementation)) {
    const method = definition[key];
    if (method === undefined) continue;
    const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
    const check = (metadata: Metadata): AuthResult => {
      const result = options.authorizer.check(metadata, rpc, mutating.has(key));
      logCall(options.logger, rpc, mutating.has(key), result);
      return result;
    };
    wrapped[key] = method.responseStream
      ? guardStream(handler, check)
      : guardUnary(handler, check);
  }
  return wrapped as T;
}

type Check = (metadata: Metadata) => AuthResult;
type AnyHandler = UntypedServiceImplementation[string];

function guardUnary(handler: AnyHandler, check: Check): AnyHandler {
  const next = handler as (call: unknown, callback: unknown) => void;
  return ((call: { metadata: Metadata }, callback: Refuse) => {
    const result = check(call.metadata);
    if (result.ok) next(call, callback);
    else callback(result.status);
  }) as AnyHandler;
}

type Refuse = (error: GrpcStatus) => void;

function guardStream(handler: AnyHandler, check: Check): AnyHandler {
  const next = handler as (call: unknown) => void;
  return ((call: {
    metadata: Metadata;
    emit: (e: string, s: object) => void;
  }) => {
    const result = check(call.metadata);
    if (result.ok) next(call);
    // Emitting "error" on a server stream ends it with that status.
    else call.emit("error", result.status);
  }) as AnyHandler;
}

function logCall(
  logger: Logger,
  rpc: string,
  mutating: boolean,
  result: AuthResult,
): void {
  if (!result.ok) {
    const { code, details } = result.status;
    logger.info({ rpc, code: status[code], details }, "control call refused");
  } else if (mutating) {
    const { name, role } = result.caller;
    logger.info({ rpc, caller: name ?? role }, "control call");
  }
}

import type { WebSocket } from "ws";
import { ConnectError, connectBackend } from "./backend-connect.js";
import type { BackendPool } from "./backend-pool.js";
import type { BackendState } from "./backend-state.js";

/** What to offer every backend tried for one session. */
export interface DialRequest {
  readonly protocols: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  /** The hash key of the request, if the balancer uses one. */
  readonly key: string | undefined;
  /**
   * On failover, the subprotocol the client already has: a backend
   * choosing another one cannot take the session.
   */
  readonly protocol?: string;
  readonly signal: AbortSignal;
}

/**
 * How a dial ended. A `connected` result already counts as an open
 * session of its backend; whoever takes it decrements that on close.
 */
export type DialResult =
  | { readonly t: "connected"; readonly backend: BackendState; ws: WebSocket }
  /** No backend was eligible to start with. */
  | { readonly t: "none-healthy" }
  /** Every eligible backend was tried and failed. */
  | { readonly t: "all-failed"; readonly failures: readonly string[] }
  /**
   * A backend refused the client itself (a 4xx, no acceptable
   * subprotocol); the others would too, so no other is tried.
   */
  | { readonly t: "rejected"; readonly status: number; readonly reason: string }
  /** The caller gave up (the client left). */
  | { readonly t: "aborted" };

/**
 * Connects to the balancer's choice, then to the next eligible backend
 * after each failure, never trying one twice. A failed connect counts
 * toward the backend's passive ejection.
 */
export async function dialPool(
  pool: BackendPool,
  request: DialRequest,
  exclude: ReadonlySet<string> = new Set(),
): Promise<DialResult> {
  const tried = new Set(exclude);
  const failures: string[] = [];
  for (;;) {
    const backend = pool.pick(request.key, tried);
    if (backend === undefined) break;
    tried.add(backend.id);

    const outcome = await tryBackend(pool, backend, request);
    if (!(outcome instanceof ConnectError)) {
      return { t: "connected", backend, ws: outcome };
    }
    if (outcome.fault === "aborted") return { t: "aborted" };
    if (outcome.fault === "client") {
      const status = outcome.status ?? 400;
      return { t: "rejected", status, reason: outcome.message };
    }
    failures.push(`${backend.id}: ${outcome.message}`);
  }
  if (failures.length === 0) return { t: "none-healthy" };
  return { t: "all-failed", failures };
}

/** The open socket, or why the backend could not take the session. */
async function tryBackend(
  pool: BackendPool,
  backend: BackendState,
  request: DialRequest,
): Promise<WebSocket | ConnectError> {
  const { connectTimeoutMs, maxMessageBytes } = pool.config;
  backend.pendingConnects += 1;
  try {
    const ws = await connectBackend(backend.config.url, {
      ...request,
      timeoutMs: connectTimeoutMs,
      maxMessageBytes,
    });
    backend.recordConnectSuccess();
    if (request.protocol === undefined || ws.protocol === request.protocol) {
      backend.openSessions += 1;
      return ws;
    }
    ws.close(1000, "subprotocol mismatch");
    const message = `chose '${ws.protocol}', not '${request.protocol}'`;
    return new ConnectError(message, "backend");
  } catch (err) {
    const error = err as ConnectError;
    if (error.fault === "backend") backend.recordConnectFailure(error.message);
    return error;
  } finally {
    backend.pendingConnects -= 1;
  }
}

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import { BackendPool } from "./backend-pool.js";
import type { BackendState } from "./backend-state.js";
import { balanceKey } from "./balance-key.js";
import { ProxyCloseCode } from "./close-codes.js";
import { type DialRequest, dialPool } from "./dial.js";
import { forwardedHeaders, requestedProtocols } from "./forward-headers.js";
import { HealthChecker } from "./health-checker.js";
import { PendingUpgrade } from "./pending-upgrade.js";
import type { BackendConfig, PoolConfig } from "./pool-schema.js";
import { ProxySession, type ProxySessionChange } from "./proxy-session.js";
import { handshakeProblem, refuseUpgrade } from "./upgrade-refusal.js";
import type { PoolView } from "./views.js";

type Handshake = Omit<DialRequest, "signal" | "protocol">;

/**
 * One pool at work: its backends, their checks and the sessions proxied
 * to them. {@link handleUpgrade} completes a client's handshake only once
 * a backend accepted its own, choosing the same subprotocol.
 */
export class ProxyPool {
  readonly backends: BackendPool;
  readonly sessions = new Set<ProxySession>();
  readonly #checker: HealthChecker | undefined;
  readonly #wss: WebSocketServer;
  readonly #log: Logger;
  /** The backend's subprotocol per request, for `handleProtocols`. */
  readonly #chosen = new WeakMap<IncomingMessage, string>();
  #nextSession = 1;
  #closed = false;

  readonly #onChange: ((change: ProxySessionChange) => void) | undefined;

  constructor(
    config: PoolConfig,
    logger: Logger,
    now?: () => number,
    onChange?: (change: ProxySessionChange) => void,
  ) {
    this.#onChange = onChange;
    this.backends = new BackendPool(config, now);
    this.#log = logger.child({ pool: config.id });
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: config.maxMessageBytes,
      autoPong: false,
      handleProtocols: (offered, req) => {
        const chosen = this.#chosen.get(req);
        return chosen !== undefined && offered.has(chosen) ? chosen : false;
      },
    });
    const check = config.healthCheck;
    if (check !== undefined) {
      this.#checker = new HealthChecker(this.backends, check, this.#log);
      this.#checker.start();
    }
  }

  get config(): PoolConfig {
    return this.backends.config;
  }

  /** Proxies one upgrade request for this pool's path; never hangs. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const problem = handshakeProblem({
      method: req.method,
      upgrade: req.headers.upgrade,
      key: req.headers["sec-websocket-key"],
      version: req.headers["sec-websocket-version"],
    });
    if (problem !== undefined) {
      refuseUpgrade(socket, 400, problem);
    } else if (!this.backends.hasEligible()) {
      this.#refuseNoneHealthy(socket);
    } else {
      void this.#proxy(req, socket, head);
    }
  }

  /** Adds a backend; it takes sessions at once. */
  addBackend(config: BackendConfig): void {
    this.backends.add(config);
  }

  /** Removes a backend, moving its sessions (or closing them, 1012). */
  removeBackend(backendId: string): void {
    const backend = this.backends.require(backendId);
    backend.draining = true;
    this.#moveSessionsOff(backendId, "backend removed");
    this.backends.remove(backendId);
  }

  /**
   * Stops new sessions to a backend. With `move`, its sessions move to
   * other backends now; without, they stay until they end on their own.
   */
  drain(backendId: string, options: { readonly move: boolean }): void {
    this.backends.require(backendId).draining = true;
    if (options.move) this.#moveSessionsOff(backendId, "backend drained");
  }

  /** Takes a drained backend back into the balancer. */
  undrain(backendId: string): void {
    this.backends.require(backendId).draining = false;
  }

  view(): PoolView {
    return {
      id: this.config.id,
      path: this.config.path,
      balancer: this.config.balancer.type,
      sessions: this.sessions.size,
      backends: this.backends.views(),
    };
  }

  /** Stops checks and closes every session on both sides. */
  close(code: number = ProxyCloseCode.GOING_AWAY, reason = "pool closed") {
    this.#closed = true;
    this.#checker?.stop();
    for (const session of [...this.sessions]) session.close(code, reason);
    this.#wss.close();
  }

  #moveSessionsOff(backendId: string, reason: string): void {
    for (const session of [...this.sessions]) {
      if (session.backend?.id === backendId) session.move(reason);
    }
  }

  #refuseNoneHealthy(socket: Duplex): void {
    refuseUpgrade(socket, 503, `pool ${this.config.id}: no healthy backend`);
  }

  async #proxy(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const pending = new PendingUpgrade(socket);
    const handshake: Handshake = {
      protocols: requestedProtocols(req),
      headers: forwardedHeaders(req, this.config.forwardHeaders),
      key: balanceKey(this.config.balancer, req),
    };

    const result = await dialPool(this.backends, {
      ...handshake,
      signal: pending.signal,
    });
    const fullHead = pending.finish(head);

    if (result.t === "aborted") {
      socket.destroy();
      return;
    }
    if (result.t === "none-healthy") return this.#refuseNoneHealthy(socket);
    if (result.t === "rejected") {
      return refuseUpgrade(socket, result.status, result.reason);
    }
    if (result.t === "all-failed") {
      const reasons = result.failures.join("; ");
      return refuseUpgrade(socket, 502, `no backend accepted: ${reasons}`);
    }
    const { backend, ws } = result;
    if (this.#closed) {
      refuseUpgrade(socket, 503, `pool ${this.config.id} is closing`);
      backend.openSessions -= 1;
      ws.close(ProxyCloseCode.GOING_AWAY, "pool closed");
      return;
    }
    if (pending.gone) {
      socket.destroy();
      backend.openSessions -= 1;
      ws.close(ProxyCloseCode.GOING_AWAY, "client left");
      return;
    }

    this.#chosen.set(req, ws.protocol);
    this.#wss.handleUpgrade(req, socket, fullHead, (client) => {
      this.#open(req, client, handshake, result);
    });
  }

  #open(
    req: IncomingMessage,
    client: WebSocket,
    handshake: Handshake,
    accepted: { backend: BackendState; ws: WebSocket },
  ): void {
    const id = `${this.config.id}-${this.#nextSession++}`;
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const session = new ProxySession({
      id,
      remote,
      client,
      pool: this.backends,
      dial: handshake,
      backend: accepted.backend,
      backendWs: accepted.ws,
      logger: this.#log,
      onClose: (ended) => this.sessions.delete(ended),
      onChange: this.#onChange,
    });
    this.sessions.add(session);
    this.#log.debug({ session: id, backend: accepted.backend.id }, "open");
  }
}

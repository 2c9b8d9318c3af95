import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { BackendLink } from "./backend-link.js";
import type { BackendPool } from "./backend-pool.js";
import type { BackendState } from "./backend-state.js";
import {
  BACKEND_LOST_CODES,
  closeReason,
  ProxyCloseCode,
  relayClose,
} from "./close-codes.js";
import { type DialRequest, dialPool } from "./dial.js";
import { ReadGate } from "./flow.js";
import { type ReplayFrame, ReplayLog } from "./replay-log.js";

/** Where a session is: forwarding, changing backends, or over. */
export type SessionState = "open" | "moving" | "closed";

/** A point-in-time view of one proxied session. */
export interface ProxySessionView {
  readonly id: string;
  readonly pool: string;
  /** The current backend; absent while moving. */
  readonly backend?: string;
  readonly remote: string;
  readonly state: SessionState;
  /** Bytes waiting in the gateway to be written to the client. */
  readonly bufferedToClient: number;
  /** Bytes waiting in the gateway to be written to the backend. */
  readonly bufferedToBackend: number;
  /** How many times the session changed backends. */
  readonly moves: number;
}

/** A session opening, changing backends or closing, for observers. */
export interface ProxySessionChange {
  readonly type: "open" | "move" | "close";
  /** The session after the change; on close it has no backend. */
  readonly session: ProxySessionView;
  /** On close: the close code sent to or received from the client. */
  readonly code?: number;
}

/** What a session needs from its pool. */
export interface ProxySessionOptions {
  readonly id: string;
  readonly remote: string;
  readonly client: WebSocket;
  readonly pool: BackendPool;
  /** The handshake the first backend accepted, to repeat on a move. */
  readonly dial: Omit<DialRequest, "signal" | "protocol">;
  readonly backend: BackendState;
  readonly backendWs: WebSocket;
  readonly logger: Logger;
  /** Called once when the session is over. */
  readonly onClose: (session: ProxySession) => void;
  /** Observes opens, moves and closes (telemetry); must not throw. */
  readonly onChange?: (change: ProxySessionChange) => void;
}

/**
 * One client proxied to one backend at a time. When the backend goes
 * away (or is drained with a move) and the pool allows failover, the
 * client is paused, another backend is dialled, the client's opening
 * messages are replayed to it and forwarding resumes; the client sees no
 * close. Messages the client sent after its opening ones and that were
 * in flight to the old backend are lost; replies to the replayed
 * messages reach the client again.
 */
export class ProxySession {
  readonly id: string;
  readonly #o: ProxySessionOptions;
  readonly #client: WebSocket;
  readonly #clientGate: ReadGate;
  readonly #replay: ReplayLog;
  readonly #abort = new AbortController();
  readonly #log: Logger;
  /** Messages read from the client while no backend is attached. */
  #pending: ReplayFrame[] = [];
  #link: BackendLink | undefined;
  #state: SessionState = "open";
  #moves = 0;

  constructor(options: ProxySessionOptions) {
    this.id = options.id;
    this.#o = options;
    this.#client = options.client;
    this.#clientGate = new ReadGate(options.client);
    const { replayFrames, replayBytes } = options.pool.config.failover;
    this.#replay = new ReplayLog(replayFrames, replayBytes);
    this.#log = options.logger.child({ session: options.id });
    this.#attach(options.backend, options.backendWs);
    this.#listenToClient();
    this.#o.onChange?.({ type: "open", session: this.view() });
  }

  get backend(): BackendState | undefined {
    return this.#link?.backend;
  }

  view(): ProxySessionView {
    return {
      id: this.id,
      pool: this.#o.pool.id,
      ...(this.#link ? { backend: this.#link.backend.id } : {}),
      remote: this.#o.remote,
      state: this.#state,
      bufferedToClient: this.#client.bufferedAmount,
      bufferedToBackend: this.#link?.ws.bufferedAmount ?? 0,
      moves: this.#moves,
    };
  }

  /**
   * Moves the session off its backend (drain or removal). Without
   * failover the client is told to reconnect (1012).
   */
  move(reason: string): void {
    const link = this.#link;
    if (this.#state !== "open" || link === undefined) return;
    link.detach();
    link.ws.close(ProxyCloseCode.GOING_AWAY, closeReason(reason));
    this.#backendLost(link.backend, reason, ProxyCloseCode.SERVICE_RESTART);
  }

  /** Ends the session on both sides with the same code and reason. */
  close(code: number, reason: string): void {
    if (this.#state === "closed") return;
    const link = this.#link;
    link?.detach();
    link?.ws.close(code, closeReason(reason));
    this.#finish(code);
    this.#client.close(code, closeReason(reason));
  }

  #listenToClient(): void {
    const client = this.#client;
    client.on("message", (data: Buffer, binary: boolean) => {
      this.#replay.record(data, binary);
      if (this.#link !== undefined) this.#link.send(data, binary);
      else this.#pending.push({ data, binary });
    });
    client.on("ping", (data: Buffer) => this.#link?.ping(data));
    client.on("pong", (data: Buffer) => this.#link?.pong(data));
    client.on("error", (err) => {
      this.#log.debug({ err }, "client socket error");
    });
    client.once("close", (code: number, reason: Buffer) => {
      const link = this.#link;
      this.#finish(code);
      if (link?.detach()) {
        relayClose(link.ws, code, reason);
      }
    });
  }

  #attach(backend: BackendState, ws: WebSocket): void {
    const { maxBufferedBytes } = this.#o.pool.config;
    this.#link = new BackendLink(
      backend,
      ws,
      this.#client,
      this.#clientGate,
      maxBufferedBytes,
      {
        onClose: (link, code, reason) =>
          this.#onBackendClose(link, code, reason),
      },
    );
  }

  #onBackendClose(link: BackendLink, code: number, reason: Buffer): void {
    if (this.#state !== "open") return;
    if (!BACKEND_LOST_CODES.has(code)) {
      // The backend ended the session itself: the client hears it as is.
      this.#finish(code);
      relayClose(this.#client, code, reason);
      return;
    }
    const why = `backend ${link.backend.id} closed (${code})`;
    const lost =
      code === 1006
        ? ProxyCloseCode.BAD_GATEWAY
        : ProxyCloseCode.SERVICE_RESTART;
    this.#backendLost(link.backend, why, lost);
  }

  /** The link is gone: move if the pool allows, else close with `code`. */
  #backendLost(old: BackendState, why: string, code: number): void {
    this.#link = undefined;
    if (!this.#o.pool.config.failover.enabled) {
      this.#log.info({ backend: old.id, reason: why }, "session lost backend");
      this.close(code, `${why}; reconnect`);
      return;
    }
    this.#state = "moving";
    this.#clientGate.hold("moving");
    void this.#moveFrom(old, why);
  }

  async #moveFrom(old: BackendState, why: string): Promise<void> {
    const result = await dialPool(
      this.#o.pool,
      {
        ...this.#o.dial,
        protocol: this.#client.protocol,
        signal: this.#abort.signal,
      },
      new Set([old.id]),
    );
    if (this.#state === "closed") {
      // The client left while the move was being dialled.
      if (result.t === "connected") {
        result.backend.openSessions -= 1;
        result.ws.close(ProxyCloseCode.GOING_AWAY, "client left");
      }
      return;
    }
    if (result.t !== "connected") {
      const detail =
        result.t === "rejected" ? result.reason : result.t.replace("-", " ");
      this.#log.warn({ backend: old.id, reason: why }, "session move failed");
      this.close(ProxyCloseCode.BAD_GATEWAY, `${why}; no backend (${detail})`);
      return;
    }
    this.#resumeOn(result.backend, result.ws);
    this.#log.info(
      { from: old.id, to: result.backend.id, reason: why },
      "session moved",
    );
  }

  /** Replays the opening messages, then what arrived meanwhile. */
  #resumeOn(backend: BackendState, ws: WebSocket): void {
    this.#attach(backend, ws);
    const link = this.#link as BackendLink;
    for (const frame of this.#replay.frames)
      link.send(frame.data, frame.binary);
    // Pending messages that were recorded are already in the replay.
    const replayed = new Set<ReplayFrame["data"]>(
      this.#replay.frames.map((f) => f.data),
    );
    for (const frame of this.#pending) {
      if (!replayed.has(frame.data)) link.send(frame.data, frame.binary);
    }
    this.#pending = [];
    this.#moves += 1;
    this.#state = "open";
    this.#clientGate.release("moving");
    this.#o.onChange?.({ type: "move", session: this.view() });
  }

  #finish(code: number): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#link = undefined;
    this.#pending = [];
    this.#abort.abort();
    this.#clientGate.releaseAll();
    this.#o.onClose(this);
    this.#o.onChange?.({ type: "close", session: this.view(), code });
  }
}

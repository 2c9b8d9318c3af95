import type { Logger } from "pino";
import { BehaviorSubject, type Observable, Subject } from "rxjs";
import WebSocket from "ws";
import type { SourceConfig } from "../config/schema.js";
import type { RawFrame } from "../envelope/index.js";
import { Backoff } from "./backoff.js";
import {
  describeClose,
  describeError,
  describeHttpStatus,
  type ReasonContext,
} from "./down-reason.js";
import { LinkWatch } from "./link-watch.js";
import {
  healthConnecting,
  healthDown,
  healthUp,
  type SourceHealth,
} from "./source-health.js";
import { logTransition, redactUrl } from "./source-log.js";
import { closeSocket, serializeFrame, toBuffer } from "./wire.js";

/** Default largest upstream frame: `limits.maxSourceFrameBytes`. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Options of a {@link SourceConnection}. */
export interface SourceConnectionOptions {
  /** Parent logger; the connection logs through a child with its id. */
  readonly logger: Logger;
  /**
   * Largest frame accepted from the upstream, in bytes; a larger one drops
   * the connection (`frame too large`). Default 16 MiB.
   */
  readonly maxFrameBytes?: number;
  /** Clock for `since`, `receivedAt` and staleness; default `Date.now`. */
  readonly now?: () => number;
  /** Jitter source of the reconnect backoff; default `Math.random`. */
  readonly random?: () => number;
  /**
   * Frames to send after the `subscribe` frames on every connect: the
   * subscriptions made on demand that are still wanted.
   */
  readonly afterConnect?: () => readonly string[];
}

/** Counters of a {@link SourceConnection} since it was created. */
export interface SourceStats {
  /** WebSocket connections that opened. */
  readonly connects: number;
  /** Opened connections that closed again, for whatever reason. */
  readonly disconnects: number;
  /** Frames read from the upstream. */
  readonly frames: number;
  /** Payload bytes of those frames. */
  readonly bytes: number;
  /** When the last frame was read, ms since the Unix epoch. */
  readonly lastFrameAt?: number;
}

/**
 * One upstream WebSocket: dials it, sends the `subscribe` frames after
 * every connect, keeps it alive with the configured heartbeat, reconnects
 * with backoff when it fails, and reports every frame and health change as
 * an Observable. Nothing the upstream does (refuse, HTTP error, close,
 * protocol garbage, over-size frame, stall) throws out of this class.
 *
 * Health runs `down` ("not started") -> `connecting` -> `up`, between `up`
 * and `stale` while connected, and to `down` with a reason and a scheduled
 * retry on any failure, then `connecting` again. After stop() it ends in
 * `down` ("stopped") and both Observables complete.
 *
 * The backoff starts over when a connection stayed open for at least
 * `reconnect.initialDelayMs`; one that closes sooner keeps backing off.
 */
export class SourceConnection {
  /** The source id from config. */
  readonly id: string;
  /** Every frame read from the upstream, text or binary. Hot. */
  readonly frames: Observable<RawFrame>;
  /** Health changes; a new subscriber gets the current state first. */
  readonly health: Observable<SourceHealth>;

  private readonly config: SourceConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly reasons: ReasonContext;
  private readonly backoff: Backoff;
  private readonly subscribeFrames: readonly string[];
  private readonly afterConnect: (() => readonly string[]) | undefined;
  private readonly frameSubject = new Subject<RawFrame>();
  private readonly healthSubject: BehaviorSubject<SourceHealth>;
  private readonly counters = { connects: 0, disconnects: 0, frames: 0 };
  private bytes = 0;
  private lastFrameAt: number | undefined;

  /** The current socket, from dial until its `close` event. */
  private socket: WebSocket | undefined;
  /** Staleness and heartbeat of the current socket while it is open. */
  private watch: LinkWatch | undefined;
  /** When the current socket opened; undefined while it has not. */
  private openedAt: number | undefined;
  /** The first failure the current socket reported: its down reason. */
  private failure: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(config: SourceConfig, options: SourceConnectionOptions) {
    this.id = config.id;
    this.config = config;
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({
      source: config.id,
      url: redactUrl(config.url),
    });
    this.reasons = {
      connectTimeoutMs: config.connectTimeoutMs,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    };
    this.backoff = new Backoff({ ...config.reconnect, random: options.random });
    this.subscribeFrames = config.subscribe.map(serializeFrame);
    this.afterConnect = options.afterConnect;
    const initial = healthDown("not started", this.now());
    this.healthSubject = new BehaviorSubject<SourceHealth>(initial);
    this.frames = this.frameSubject.asObservable();
    this.health = this.healthSubject.asObservable();
  }

  /** The health right now. */
  get currentHealth(): SourceHealth {
    return this.healthSubject.value;
  }

  /** Counters since the connection was created. */
  get stats(): SourceStats {
    const { bytes, lastFrameAt } = this;
    return { ...this.counters, bytes, lastFrameAt };
  }

  /**
   * Dials the upstream and keeps it connected until {@link stop}. Calling
   * it again is a no-op.
   *
   * @throws Error after stop(): a stopped connection cannot restart.
   */
  start(): void {
    if (this.stopping) throw new Error(`source ${this.id} was stopped`);
    if (this.started) return;
    this.started = true;
    this.dial("starting");
  }

  /**
   * Sends one text frame upstream, for subscriptions made on demand.
   * Returns false, and sends nothing, when the socket is not open.
   */
  send(frame: string): boolean {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(frame);
    return true;
  }

  /**
   * Closes the socket, cancels every timer and completes both Observables.
   * Resolves once the socket is closed; every call returns the same promise.
   */
  stop(): Promise<void> {
    // Assigned before any shutdown work runs, so that a stop() made from a
    // health subscriber during shutdown gets this same promise, and every
    // event handler from now on sees that the connection is stopping.
    this.stopping ??= Promise.resolve().then(() => this.shutdown());
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopWatch();

    const socket = this.socket;
    if (socket) await closeSocket(socket);
    this.socket = undefined;

    this.setHealth(healthDown("stopped", this.now()));
    this.healthSubject.complete();
    this.frameSubject.complete();
  }

  private dial(reason: string): void {
    this.failure = undefined;
    this.openedAt = undefined;
    this.setHealth(healthConnecting(reason, this.now()));
    // A health subscriber may have called stop() just now.
    if (this.stopping) return;

    let socket: WebSocket;
    try {
      socket = new WebSocket(this.config.url, {
        headers: this.config.headers,
        handshakeTimeout: this.config.connectTimeoutMs,
        maxPayload: this.reasons.maxFrameBytes,
      });
    } catch (error) {
      // http.request throws synchronously on, say, a header value with a
      // newline. Treat it as a failed dial so the source stays managed.
      this.scheduleRetry(describeError(error, this.reasons));
      return;
    }
    this.socket = socket;
    this.listen(socket);
  }

  private listen(socket: WebSocket): void {
    // Every handler checks it still owns the current socket: events of a
    // socket we gave up on must not touch the state of its successor.
    socket.on("error", (error) => {
      if (socket !== this.socket) return;
      this.failure ??= describeError(error, this.reasons);
    });
    socket.on("unexpected-response", (_request, response) => {
      if (socket === this.socket) {
        this.failure ??= describeHttpStatus(response.statusCode);
      }
      // With this listener attached, ws leaves aborting the request to us.
      response.resume();
      socket.terminate();
    });
    socket.on("open", () => this.onOpen(socket));
    socket.on("message", (data, isBinary) => {
      if (socket !== this.socket || this.stopping) return;
      this.onFrame(toBuffer(data), isBinary);
    });
    socket.on("pong", () => {
      if (socket === this.socket) this.watch?.pong();
    });
    socket.on("close", (code, reason) => this.onClose(socket, code, reason));
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket || this.stopping) return;
    this.counters.connects += 1;
    this.openedAt = this.now();

    for (const frame of this.subscribeFrames) socket.send(frame);
    for (const frame of this.afterConnect?.() ?? []) socket.send(frame);

    this.watch = new LinkWatch({
      heartbeat: this.config.heartbeat,
      staleAfterMs: this.config.staleAfterMs,
      now: this.now,
      ping: () => socket.ping(),
      send: (frame) => this.send(frame),
      onDead: (reason) => this.fail(socket, reason),
      onHealth: (health) => this.setHealth(health),
    });
    this.setHealth(healthUp("connected", this.openedAt));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const receivedAt = this.now();
    this.counters.frames += 1;
    this.bytes += data.length;
    this.lastFrameAt = receivedAt;
    // Health first, so a consumer of the frame sees the source as up.
    this.watch?.frame(receivedAt);
    this.frameSubject.next({ source: this.id, data, isBinary, receivedAt });
  }

  private onClose(socket: WebSocket, code: number, reason: Buffer): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.stopWatch();
    const wasOpen = this.openedAt !== undefined;
    if (wasOpen) this.counters.disconnects += 1;
    if (this.stopping) return;

    // A connection that stayed open for a while proved the upstream works:
    // start the backoff over. One that dies at once keeps backing off, so
    // a flapping upstream is not redialed in a tight loop.
    const openMs = wasOpen ? this.now() - (this.openedAt ?? 0) : 0;
    if (openMs >= this.config.reconnect.initialDelayMs) this.backoff.reset();
    this.scheduleRetry(this.failure ?? describeClose(code, reason));
  }

  /** Gives up on a socket that is open but no longer works. */
  private fail(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    this.failure ??= reason;
    socket.terminate();
  }

  private scheduleRetry(reason: string): void {
    const retryInMs = this.backoff.next();
    this.setHealth(healthDown(reason, this.now(), retryInMs));
    if (this.stopping) return;
    const attempt = this.backoff.attempt;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.dial(`reconnecting (attempt ${attempt})`);
    }, retryInMs);
  }

  private stopWatch(): void {
    this.watch?.stop();
    this.watch = undefined;
  }

  private setHealth(next: SourceHealth): void {
    const previous = this.healthSubject.value;
    this.healthSubject.next(next);
    logTransition(this.log, previous, next);
  }
}

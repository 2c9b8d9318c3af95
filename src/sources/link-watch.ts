import type { HeartbeatConfig } from "../config/schema.js";
import {
  healthStale,
  healthUp,
  type SourceStale,
  type SourceUp,
} from "./source-health.js";
import { serializeFrame } from "./wire.js";

/** What a {@link LinkWatch} needs from its connection. */
export interface LinkWatchOptions {
  /** The source's heartbeat: WebSocket ping, application frame or none. */
  readonly heartbeat: HeartbeatConfig;
  /** Stale after this many ms without a frame; 0 disables the check. */
  readonly staleAfterMs: number;
  /** The connection's clock, ms since the Unix epoch. */
  readonly now: () => number;
  /** Sends a WebSocket ping. */
  readonly ping: () => void;
  /** Sends an application frame upstream. */
  readonly send: (frame: string) => void;
  /** The link is dead (no pong): the connection must drop the socket. */
  readonly onDead: (reason: string) => void;
  /** The link went stale, or came back up from stale. */
  readonly onHealth: (health: SourceUp | SourceStale) => void;
}

/**
 * Watches one open socket: sends the heartbeat, declares the link dead when
 * a ping goes unanswered for a whole interval, and flags it stale when no
 * frame arrived for `staleAfterMs`. Internal to `src/sources`; one per open
 * socket, stopped when the socket closes.
 */
export class LinkWatch {
  private readonly options: LinkWatchOptions;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  /** A ping was sent and its pong has not arrived yet. */
  private awaitingPong = false;
  /** When the unanswered ping was sent. */
  private pingSentAt = 0;
  private stale = false;
  /** When the last frame arrived, or the socket opened. */
  private lastFrameAt: number;

  constructor(options: LinkWatchOptions) {
    this.options = options;
    this.lastFrameAt = options.now();
    this.startHeartbeat(options.heartbeat);
    if (options.staleAfterMs > 0) this.armStale(options.staleAfterMs);
  }

  /** A frame arrived: the link is alive and fresh. */
  frame(receivedAt: number): void {
    this.lastFrameAt = receivedAt;
    if (!this.stale) return;
    this.stale = false;
    this.options.onHealth(healthUp("frame received", receivedAt));
    this.armStale(this.options.staleAfterMs);
  }

  /** A pong arrived: the last ping was answered. */
  pong(): void {
    this.awaitingPong = false;
  }

  /** Cancels every timer. */
  stop(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.staleTimer);
    this.heartbeatTimer = undefined;
    this.staleTimer = undefined;
  }

  private startHeartbeat(heartbeat: HeartbeatConfig): void {
    if (heartbeat.type === "none") return;
    const { intervalMs } = heartbeat;
    const beat =
      heartbeat.type === "ping"
        ? () => this.ping(intervalMs)
        : this.frameBeat(serializeFrame(heartbeat.frame));
    this.heartbeatTimer = setInterval(beat, intervalMs);
  }

  private frameBeat(text: string): () => void {
    return () => this.options.send(text);
  }

  /**
   * Pings, unless the previous ping is still unanswered. Then the link is
   * blackholed (TCP may never notice) and must be dropped, but only when
   * nothing at all arrived since that ping: a busy upstream's pong can sit
   * behind its own data, and frames prove the link is alive just as well.
   */
  private ping(intervalMs: number): void {
    if (this.awaitingPong) {
      if (this.lastFrameAt > this.pingSentAt) return;
      this.stop();
      this.options.onDead(`heartbeat timeout: no pong in ${intervalMs}ms`);
      return;
    }
    this.awaitingPong = true;
    this.pingSentAt = this.options.now();
    this.options.ping();
  }

  /**
   * One timer re-armed for the remaining quiet time, rather than one reset
   * on every frame: feeds deliver thousands of frames a second.
   */
  private armStale(delayMs: number): void {
    this.staleTimer = setTimeout(() => this.checkStale(), delayMs);
  }

  private checkStale(): void {
    const { staleAfterMs, now } = this.options;
    const quietMs = now() - this.lastFrameAt;
    if (quietMs < staleAfterMs) {
      this.armStale(staleAfterMs - quietMs);
      return;
    }
    this.staleTimer = undefined;
    this.stale = true;
    this.options.onHealth(healthStale(`no frame in ${staleAfterMs}ms`, now()));
  }
}

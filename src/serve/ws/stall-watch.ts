import { WebSocket } from "ws";

/**
 * Ping/pong bookkeeping of one session. A client that stops reading does
 * not answer pings, long before its backlog shows in user space: the
 * kernel's socket buffers (several MiB on loopback) absorb minutes of a
 * low message rate. Only a pong echoing the outstanding ping counts as
 * progress; data frames prove that a client writes, not that it reads,
 * and an unsolicited pong (allowed as a heartbeat) proves neither.
 */
export class StallWatch {
  readonly #socket: WebSocket;
  readonly #timeoutMs: number;
  readonly #events: StallEvents;
  #pings = 0;
  /** The payload and send time of the ping not answered yet. */
  #pending: { payload: string; sentAt: number } | undefined;
  #stalled = false;
  /** Whether the session was sent anything since its last ping. */
  #busy = false;
  /** Heartbeats skipped in a row for want of traffic. */
  #quiet = 0;

  /** Listens for pongs on `socket`; pings only on {@link heartbeat}. */
  constructor(socket: WebSocket, timeoutMs: number, events: StallEvents) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    socket.on("pong", (data) => this.#onPong(data.toString()));
  }

  /** True from a ping's timeout until its pong arrives. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /**
   * The session was handed something to send. Only then is a ping worth
   * its cost: a client that is sent nothing cannot fall behind, and
   * pinging every idle client of a large gateway costs a fifth of a core.
   */
  sending(): void {
    this.#busy = true;
  }

  /**
   * Judges the pending ping, then pings unless it is still unanswered:
   * one ping at a time, so pings cannot pile up behind a client that
   * stopped reading. A session sent nothing since its last ping is
   * pinged only every {@link QUIET_PING_EVERY} heartbeats, as a keepalive.
   */
  heartbeat(now: number): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const pending = this.#pending;
    if (pending === undefined) {
      if (!this.#busy && ++this.#quiet < QUIET_PING_EVERY) return;
      this.#busy = false;
      this.#quiet = 0;
      const payload = String(++this.#pings);
      this.#pending = { payload, sentAt: now };
      this.#socket.ping(payload);
    } else if (!this.#stalled && now - pending.sentAt >= this.#timeoutMs) {
      this.#stalled = true;
      this.#events.stalled(`slow consumer: no pong in ${this.#timeoutMs} ms`);
    }
  }

  #onPong(payload: string): void {
    if (payload !== this.#pending?.payload) return;
    this.#pending = undefined;
    if (!this.#stalled) return;
    this.#stalled = false;
    this.#events.resumed();
  }
}

/**
 * A session with no traffic is still pinged on every this many
 * heartbeats, so that a quiet client that vanished is found in the end.
 */
export const QUIET_PING_EVERY = 30;

/** What a {@link StallWatch} tells its session. */
export interface StallEvents {
  /** The client answered no ping in time; `reason` says so for a close. */
  stalled(reason: string): void;
  /** The stalled client answered at last: it reads again. */
  resumed(): void;
}

/** What {@link startStallMonitor} pings and judges. */
export interface Heartbeating {
  /** Judges the pending ping, then pings if the last one was answered. */
  heartbeat(now: number): void;
}

/**
 * Runs one unref'd interval timer for all sessions, not one per session.
 * Each pass runs in the check phase after the event loop's I/O, so pongs
 * that arrived while the loop was busy are read before anyone is judged.
 * Returns a function that stops it.
 */
export function startStallMonitor(
  sessions: () => Iterable<Heartbeating>,
  intervalMs: number,
): () => void {
  let pass: NodeJS.Immediate | undefined;
  const timer = setInterval(() => {
    pass ??= setImmediate(() => {
      pass = undefined;
      const now = performance.now();
      for (const session of sessions()) session.heartbeat(now);
    });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (pass !== undefined) clearImmediate(pass);
  };
}

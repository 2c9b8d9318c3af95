import { WebSocket } from "ws";
import { pingFrameForClients } from "../ws-frame.js";

/**
 * Ping/pong bookkeeping of one session. A client that stops reading does
 * not answer pings, long before its backlog shows in user space: the
 * kernel's socket buffers (several MiB on loopback) absorb minutes of a
 * low message rate. Only a pong echoing the outstanding ping counts as
 * progress; data frames prove that a client writes, not that it reads,
 * and an unsolicited pong (allowed as a heartbeat) proves neither.
 */
export class StallWatch implements Heartbeating {
  readonly #socket: WebSocket;
  readonly #timeoutMs: number;
  readonly #events: StallEvents;
  /** The payload and send time of the ping not answered yet. */
  #pending: { payload: string; sentAt: number } | undefined;
  #stalled = false;
  /** Whether the session was sent anything since its last ping. */
  #busy = false;

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
   * stopped reading. A session sent nothing since its last ping is not
   * pinged at all: it cannot have fallen behind, and the kernel's TCP
   * keepalive (set on every client socket) finds one whose peer vanished.
   *
   * The ping is the round's shared one; the session may hold it back a
   * moment to ride along with its next write (see {@link StallEvents.ping}).
   * Returns true when it did, so that the monitor sends it soon anyway.
   *
   * A ping counts as unanswered from `timeoutMs` minus a tenth (at most
   * 250 ms): heartbeats come on a timer's beat, and a beat that runs a few
   * ms early must not let a stall wait a whole interval more.
   */
  heartbeat(now: number, ping: SharedPing): boolean {
    if (this.#socket.readyState !== WebSocket.OPEN) return false;
    const pending = this.#pending;
    if (pending === undefined) {
      if (!this.#busy) return false;
      this.#busy = false;
      this.#pending = { payload: ping.payload, sentAt: now };
      return this.#events.ping(ping);
    }
    const slack = Math.min(MAX_SLACK_MS, this.#timeoutMs / 10);
    if (!this.#stalled && now - pending.sentAt >= this.#timeoutMs - slack) {
      this.#stalled = true;
      this.#events.stalled(`slow consumer: no pong in ${this.#timeoutMs} ms`);
    }
    return false;
  }

  /** Sends a ping that {@link heartbeat} let the session hold back. */
  sendHeldPing(): void {
    this.#events.sendHeldPing();
  }

  #onPong(payload: string): void {
    if (payload !== this.#pending?.payload) return;
    this.#pending = undefined;
    if (!this.#stalled) return;
    this.#stalled = false;
    this.#events.resumed();
  }
}

/** Most a ping may count as unanswered before its full timeout. */
const MAX_SLACK_MS = 250;

/**
 * How long a session may hold a heartbeat's ping back for its next write,
 * at most: a ping that rides along with data costs no write of its own.
 */
export const PING_HOLD_MS = 250;

/** One heartbeat round's ping: the same payload and frame for everyone. */
export interface SharedPing {
  readonly payload: string;
  /** The whole WebSocket ping frame, for writing to a socket as it is. */
  readonly frame: Buffer;
}

/** What a {@link StallWatch} tells its session. */
export interface StallEvents {
  /**
   * Send this ping. Return true to hold it back for the session's next
   * write; {@link sendHeldPing} then follows within {@link PING_HOLD_MS}.
   */
  ping(ping: SharedPing): boolean;
  /** Send the ping held back, if it has not gone out with a write. */
  sendHeldPing(): void;
  /** The client answered no ping in time; `reason` says so for a close. */
  stalled(reason: string): void;
  /** The stalled client answered at last: it reads again. */
  resumed(): void;
}

/** What a {@link StallMonitor} pings and judges. */
export interface Heartbeating {
  /**
   * Judges the pending ping, then pings if the last one was answered;
   * true when the ping was held back.
   */
  heartbeat(now: number, ping: SharedPing): boolean;
  /** Sends the ping held back by the last heartbeat. */
  sendHeldPing(): void;
}

/**
 * Each ping interval is run as this many passes, each over one slice of
 * the sessions. Pinging everyone at once would bring every pong back at
 * once: a thousand reads in one turn of the event loop, ahead of the next
 * upstream message, every interval, which is just where p99 latency
 * looks. Spread over the interval, the same pongs cost the same but stall
 * no one.
 */
export const PING_SLICES = 8;

/**
 * Pings and judges every session once an interval, with one timer for
 * all of them, in {@link PING_SLICES} passes of one slice each; a session
 * joins the smallest slice. The passes are scheduled against the clock
 * from the start, not each from the last, so a busy event loop that makes
 * one late does not push every later one back. Each pass runs in the
 * check phase after the event loop's I/O, so pongs that arrived while the
 * loop was busy are read before anyone is judged.
 */
export class StallMonitor {
  readonly #slices: Set<Heartbeating>[] = Array.from(
    { length: PING_SLICES },
    () => new Set(),
  );
  readonly #passMs: number;
  readonly #holdMs: number;
  readonly #startedAt = performance.now();
  readonly #releases = new Set<NodeJS.Timeout>();
  #passes = 0;
  #timer: NodeJS.Timeout | undefined;
  #pass: NodeJS.Immediate | undefined;

  constructor(intervalMs: number) {
    this.#passMs = Math.max(1, intervalMs / PING_SLICES);
    this.#holdMs = Math.min(PING_HOLD_MS, Math.floor(intervalMs / 4));
    this.#schedule();
  }

  /** Starts watching a session. */
  add(session: Heartbeating): void {
    let smallest = this.#slices[0] as Set<Heartbeating>;
    for (const slice of this.#slices) {
      if (slice.size < smallest.size) smallest = slice;
    }
    smallest.add(session);
  }

  /** Stops watching a session, once its socket has closed. */
  remove(session: Heartbeating): void {
    for (const slice of this.#slices) {
      if (slice.delete(session)) return;
    }
  }

  /** Stops the timers; pings held back are not sent. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const release of this.#releases) clearTimeout(release);
    if (this.#pass !== undefined) clearImmediate(this.#pass);
  }

  #schedule(): void {
    const due = this.#startedAt + (this.#passes + 1) * this.#passMs;
    this.#timer = setTimeout(
      () => {
        this.#pass ??= setImmediate(() => {
          this.#pass = undefined;
          this.#run(this.#passes++);
        });
        this.#schedule();
      },
      Math.max(0, due - performance.now()),
    );
    this.#timer.unref();
  }

  #run(pass: number): void {
    const slice = this.#slices[pass % PING_SLICES] as Set<Heartbeating>;
    if (slice.size === 0) return;
    const now = performance.now();
    const payload = String(pass + 1);
    const ping = { payload, frame: pingFrameForClients(payload) };
    const held: Heartbeating[] = [];
    for (const session of slice) {
      if (session.heartbeat(now, ping)) held.push(session);
    }
    if (held.length === 0) return;
    const release = setTimeout(() => {
      this.#releases.delete(release);
      for (const session of held) session.sendHeldPing();
    }, this.#holdMs);
    release.unref();
    this.#releases.add(release);
  }
}

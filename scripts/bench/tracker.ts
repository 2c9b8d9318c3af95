/**
 * What a subscriber process checks and measures for its clients: latency
 * of every message planned inside the window, deliveries received inside
 * it, and per client the order, loss and duplicates of the feed's
 * sequence numbers.
 */
import * as hdr from "hdr-histogram-js";
import { clockMs } from "./clock.js";
import { frameKind, StampReader, topicOf } from "./frames.js";
import type { SubscriberReport } from "./protocol.js";

/** The part of a run a tracker measures. */
export interface TrackWindow {
  /** Messages the feed sends, numbered 1..total. */
  readonly total: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Deliveries are also counted per bucket this wide. */
  readonly bucketMs: number;
}

/** Counts shared by all clients of one process. */
export class DeliveryTracker {
  /** Latency in µs, up to a minute. */
  readonly histogram = hdr.build({ highestTrackableValue: 60_000_000 });
  readonly reader = new StampReader();
  window: TrackWindow | undefined;
  deliveredInWindow = 0;
  /** deliveredInWindow per bucket of `bucketMs`. */
  buckets: number[] = [];
  /** First deliveries of each (client, n): complete at clients × total. */
  unique = 0;
  duplicates = 0;
  outOfOrder = 0;
  gapNotices = 0;
  gapSeqs = 0;
  bytes = 0;
  frames = 0;
  minLatencyMs = Number.POSITIVE_INFINITY;
  readonly #clients: ClientLog[] = [];
  /** Messages all clients should receive: complete at this many. */
  #expected = 0;

  /**
   * A log for one more client; `member` marks the topics it receives when
   * the feed spreads over several (see `topicOf`).
   */
  addClient(member?: Uint8Array): ClientLog {
    const log = new ClientLog(this, member);
    this.#clients.push(log);
    return log;
  }

  /** Starts checking: frames before this are not counted. */
  start(window: TrackWindow): void {
    this.window = window;
    const span = window.windowEnd - window.windowStart;
    this.buckets = new Array(Math.ceil(span / window.bucketMs)).fill(0);
    this.#expected = 0;
    for (const log of this.#clients) {
      log.seen = new Uint8Array(window.total + 1);
      this.#expected += log.expected(window.total);
    }
  }

  /** Clients added so far. */
  get clients(): number {
    return this.#clients.length;
  }

  /** True once every client has received every message. */
  get complete(): boolean {
    const total = this.window?.total ?? 0;
    return total > 0 && this.unique >= this.#expected;
  }

  /** Messages never received, below and above each client's last one. */
  missing(): { lost: number; undelivered: number } {
    let lost = 0;
    let undelivered = 0;
    for (const log of this.#clients) {
      const seen = log.seen;
      if (seen === undefined) continue;
      for (let n = 1; n < seen.length; n++) {
        if (seen[n] === 1 || !log.receives(n)) continue;
        if (n < log.maxSeen) lost++;
        else undelivered++;
      }
    }
    return { lost, undelivered };
  }

  /** What this process's clients saw, as the report the runner reads. */
  report(closedByCode: Readonly<Record<string, number>>): SubscriberReport {
    const { lost, undelivered } = this.missing();
    return {
      type: "subscriber-report",
      clients: this.clients,
      deliveredInWindow: this.deliveredInWindow,
      buckets: this.buckets,
      histogram: hdr.encodeIntoCompressedBase64(this.histogram),
      minLatencyMs: this.minLatencyMs,
      lost,
      undelivered,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      gapNotices: this.gapNotices,
      gapSeqs: this.gapSeqs,
      closedByCode,
      bytes: this.bytes,
      frames: this.frames,
    };
  }
}

/** One client's view of the feed's sequence. */
export class ClientLog {
  /** seen[n] is 1 once message n arrived; set when tracking starts. */
  seen: Uint8Array | undefined;
  maxSeen = 0;
  readonly #tracker: DeliveryTracker;
  readonly #member: Uint8Array | undefined;

  constructor(tracker: DeliveryTracker, member?: Uint8Array) {
    this.#tracker = tracker;
    this.#member = member;
  }

  /** Whether this client is to receive message n. */
  receives(n: number): boolean {
    const member = this.#member;
    return member === undefined || member[topicOf(n, member.length)] === 1;
  }

  /** How many of messages 1..total this client is to receive. */
  expected(total: number): number {
    if (this.#member === undefined) return total;
    let count = 0;
    for (let n = 1; n <= total; n++) count += this.receives(n) ? 1 : 0;
    return count;
  }

  /** Handles one frame from the server; returns its kind. */
  onFrame(frame: Buffer): ReturnType<typeof frameKind> {
    const kind = frameKind(frame);
    const tracker = this.#tracker;
    if (this.seen === undefined) return kind;
    tracker.frames++;
    tracker.bytes += frame.length;
    if (kind === "message") this.#onMessage(frame);
    else if (kind === "gap") this.#onGap(frame);
    return kind;
  }

  #onMessage(frame: Buffer): void {
    const { reader } = this.#tracker;
    if (reader.read(frame)) this.onStamp(reader.n, reader.plannedAt);
  }

  /**
   * Records message n, planned at `plannedAt`, as received now: for
   * transports whose frames carry several messages (gRPC).
   */
  onStamp(n: number, plannedAt: number): void {
    const receivedAt = clockMs();
    const tracker = this.#tracker;
    const seen = this.seen;
    if (seen === undefined || n >= seen.length) return;
    const window = tracker.window as TrackWindow;
    if (seen[n] === 1) {
      tracker.duplicates++;
      return;
    }
    seen[n] = 1;
    tracker.unique++;
    if (n < this.maxSeen) tracker.outOfOrder++;
    else this.maxSeen = n;

    if (receivedAt >= window.windowStart && receivedAt < window.windowEnd) {
      tracker.deliveredInWindow++;
      const at = (receivedAt - window.windowStart) / window.bucketMs;
      const bucket = Math.floor(at);
      tracker.buckets[bucket] = (tracker.buckets[bucket] ?? 0) + 1;
    }
    if (plannedAt >= window.windowStart && plannedAt < window.windowEnd) {
      const latencyMs = receivedAt - plannedAt;
      if (latencyMs < tracker.minLatencyMs) tracker.minLatencyMs = latencyMs;
      tracker.histogram.recordValue(Math.max(0, Math.round(latencyMs * 1000)));
    }
  }

  #onGap(frame: Buffer): void {
    const gap = JSON.parse(frame.toString()) as {
      fromSeq: number;
      toSeq: number;
    };
    this.#tracker.gapNotices++;
    this.#tracker.gapSeqs += gap.toSeq - gap.fromSeq + 1;
  }
}

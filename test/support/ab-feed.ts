import type { TestUpstream } from "./upstream.js";

/**
 * A `json` codec for {@link AbFeed} frames `{"sym","id","seq"}`: topic
 * `ticks.<sym>`, dedupe id `/id`, upstream sequence `/seq`, payload
 * `{sym, seq}`.
 */
export const TICK_CODEC = {
  format: "json",
  topic: "ticks.{/sym}",
  id: "/id",
  seq: "/seq",
  data: { sym: "/sym", seq: "/seq" },
};

/** How often the feed's timer runs; each run sends what is due by then. */
const TICK_MS = 4;

/** Options of an {@link AbFeed}. */
export interface AbFeedOptions {
  /** The lines, by name; each message goes to every client of each. */
  readonly lines: Readonly<Record<string, TestUpstream>>;
  /** Messages per second over all of the run. */
  readonly ratePerSecond: number;
  /** How many messages to send; the feed stops by itself after them. */
  readonly count: number;
  /** Upstream sequence of the first message. Default 1. */
  readonly firstSeq?: number;
  /** Topic token. Default `X`, so the topic is `ticks.X`. */
  readonly symbol?: string;
  /** Per line: true for a sequence that line leaves out. Default none. */
  readonly drops?: Readonly<Record<string, (seq: number) => boolean>>;
}

/**
 * A timer-driven upstream tape for A/B line tests: sends messages
 * `firstSeq`, `firstSeq + 1`, ... at a steady rate to every line, except
 * where a line's `drops` says otherwise or the line is muted. A line with
 * no client (its gateway connection is down) simply misses what is sent
 * meanwhile, as a real line would.
 */
export class AbFeed {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Upstream sequence of the last message sent; firstSeq - 1 before. */
  sentSeq: number;
  /** Lines that get nothing for now; see {@link mute}. */
  readonly muted = new Set<string>();

  readonly #options: AbFeedOptions;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #seqAt = new Map<number, number>();

  constructor(options: AbFeedOptions) {
    this.#options = options;
    this.firstSeq = options.firstSeq ?? 1;
    this.lastSeq = this.firstSeq + options.count - 1;
    this.sentSeq = this.firstSeq - 1;
  }

  /** Starts sending; the feed stops by itself after the last message. */
  start(): void {
    this.#startedAt = Date.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** True once every message was sent. */
  get finished(): boolean {
    return this.sentSeq >= this.lastSeq;
  }

  /** When message `seq` was sent, ms since the Unix epoch. */
  sentAt(seq: number): number | undefined {
    return this.#seqAt.get(seq);
  }

  /** Stops or restarts sending to one line; the tape runs on. */
  mute(line: string, on = true): void {
    if (on) this.muted.add(line);
    else this.muted.delete(line);
  }

  /** Stops sending. Idempotent. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const { ratePerSecond } = this.#options;
    const elapsedMs = Date.now() - this.#startedAt;
    const due =
      this.firstSeq - 1 + Math.floor((elapsedMs * ratePerSecond) / 1000);
    const until = Math.min(due, this.lastSeq);
    while (this.sentSeq < until) this.#send(this.sentSeq + 1);
    if (this.finished) this.stop();
  }

  #send(seq: number): void {
    const symbol = this.#options.symbol ?? "X";
    const text = JSON.stringify({ sym: symbol, id: `m${seq}`, seq });
    for (const [name, line] of Object.entries(this.#options.lines)) {
      if (this.muted.has(name)) continue;
      if (this.#options.drops?.[name]?.(seq) === true) continue;
      line.send(text);
    }
    this.#seqAt.set(seq, Date.now());
    this.sentSeq = seq;
  }
}

/**
 * A seeded pseudo-random generator (mulberry32) returning floats in
 * [0, 1), so a lossy line drops the same messages on every run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

import type { SourceMessage } from "../envelope/index.js";
import { type PipelineClock, Timer } from "./clock.js";

/**
 * The settings and outlets a {@link TopicSequence} shares with its arbiter.
 *
 * @internal Used by the sequence arbiter only.
 */
export interface TopicSequenceHost {
  readonly clock: PipelineClock;
  readonly gapWaitMs: number;
  readonly maxHeld: number;
  readonly resetThreshold: number;
  readonly resetGraceMs: number;
  /** Passes a message on, in order. */
  deliver(message: SourceMessage): void;
  /** Drops a copy of a number already delivered or held. */
  drop(message: SourceMessage): void;
  /** Drops a message numbered from before the last reset. */
  dropStale(message: SourceMessage): void;
  /** Announces upstream numbers `from`..`to` as lost. */
  gap(topic: string, from: number, to: number, reason: string): void;
  /** Announces that the topic's numbering restarted. */
  reset(topic: string, reason: string): void;
}

/** A message waiting for the numbers below it. */
interface Held {
  readonly message: SourceMessage;
  /** When it arrived; its wait ends `gapWaitMs` later. */
  readonly heldAt: number;
}

const MISSING = "missing from every source";

/**
 * The arbitration state of one topic: the next upstream number expected,
 * the messages held above a hole, and what each source last said.
 *
 * @internal Used by the sequence arbiter only; the arbiter documents the
 * rules.
 */
export class TopicSequence {
  /** The next number to deliver; undefined until the first message. */
  private expected: number | undefined;
  /** Messages above `expected`, by number; never one at or below it. */
  private readonly held = new Map<number, Held>();
  /** Per source, the highest number it sent in the current numbering. */
  private readonly highest = new Map<string, number>();
  /** Per source, its highest number before the last reset, until it too
   *  restarts. Disjoint from `highest`. */
  private readonly retired = new Map<string, number>();
  /** When a source in the current numbering last sent anything. */
  private lastCurrentAt = Number.NEGATIVE_INFINITY;
  private readonly timer: Timer;

  constructor(
    readonly topic: string,
    private readonly host: TopicSequenceHost,
  ) {
    this.timer = new Timer(host.clock, () => this.closeHoles(false, MISSING));
  }

  /** How many messages wait above a hole now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Judges `message`, whose upstream number is the safe integer `seq`. */
  admit(message: SourceMessage, seq: number): void {
    const now = this.host.clock.now();
    const source = message.source;
    const before = this.retired.get(source);
    if (before !== undefined) {
      if (seq > before - this.host.resetThreshold) {
        this.admitRetired(message, seq, now);
        return;
      }
      // It restarted too: from now on it counts in the current numbering.
      this.retired.delete(source);
    }

    const high = this.highest.get(source);
    if (high !== undefined && seq <= high - this.host.resetThreshold) {
      this.restart(message, seq, `source "${source}" went back from ${high}`);
      return;
    }
    this.highest.set(source, Math.max(high ?? seq, seq));
    this.lastCurrentAt = now;
    this.place(message, seq, now);
  }

  /** Drops every pending timer; held messages are discarded. */
  close(): void {
    this.timer.cancel();
  }

  /**
   * A source still on the numbering from before the last reset: stale
   * while the current numbering is alive, else the new current one.
   */
  private admitRetired(message: SourceMessage, seq: number, now: number) {
    if (now - this.lastCurrentAt < this.host.resetGraceMs) {
      // Its own mark still moves, so its restart is measured from there.
      const before = this.retired.get(message.source) ?? seq;
      this.retired.set(message.source, Math.max(before, seq));
      this.host.dropStale(message);
      return;
    }
    const reason =
      `source "${message.source}" kept its earlier numbering ` +
      "after the others went silent";
    this.restart(message, seq, reason);
  }

  /** Starts a new numbering at `seq`, carried by `message`'s source. */
  private restart(message: SourceMessage, seq: number, why: string): void {
    // What is held belongs to the old numbering: deliver it first.
    this.closeHoles(true, `${MISSING} before a sequence reset`);
    this.host.reset(this.topic, `${why} to ${seq}`);
    for (const [source, high] of this.highest) {
      this.retired.set(source, high);
    }
    this.highest.clear();
    this.retired.delete(message.source);
    this.highest.set(message.source, seq);
    this.expected = undefined;
    this.lastCurrentAt = this.host.clock.now();
    this.place(message, seq, this.lastCurrentAt);
  }

  private place(message: SourceMessage, seq: number, now: number): void {
    // The first message of a numbering sets the expectation.
    const expected = this.expected ?? seq;
    if (seq < expected || this.held.has(seq)) {
      this.host.drop(message);
      return;
    }
    if (seq === expected) {
      this.host.deliver(message);
      this.expected = seq + 1;
      this.drain();
      return;
    }

    this.held.set(seq, { message, heldAt: now });
    while (this.held.size > this.host.maxHeld) {
      this.closeEarliestHole();
    }
    if (this.host.gapWaitMs === 0) {
      this.closeHoles(false, MISSING);
    } else if (!this.timer.armed && this.held.size > 0) {
      this.timer.armAt(now + this.host.gapWaitMs);
    }
  }

  /** Delivers the held run that starts at `expected`. */
  private drain(): void {
    let next = this.expected ?? 0;
    let held = this.held.get(next);
    while (held !== undefined) {
      this.held.delete(next);
      this.host.deliver(held.message);
      next += 1;
      held = this.held.get(next);
    }
    this.expected = next;
    if (this.held.size === 0) {
      this.timer.cancel();
    }
    // Otherwise the timer may fire early; closeHoles re-arms it.
  }

  /**
   * Announces, in order, each hole whose wait is over (every hole when
   * `force`), delivering the held runs between them, and re-arms the timer
   * for the first hole still waiting.
   *
   * A hole's wait is over when the oldest message held above it has waited
   * `gapWaitMs`: so a suffix minimum of arrival times over the held numbers
   * in order gives each hole its deadline in one pass.
   */
  private closeHoles(force: boolean, reason: string): void {
    const now = this.host.clock.now();
    const entries = [...this.held].sort(([a], [b]) => a - b);
    const oldestFrom = suffixMinimum(entries.map(([, h]) => h.heldAt));
    let next = this.expected ?? 0;
    let i = 0;
    for (; i < entries.length; i += 1) {
      const [seq, held] = entries[i] as [number, Held];
      if (seq > next) {
        const dueAt = (oldestFrom[i] as number) + this.host.gapWaitMs;
        if (!force && now < dueAt) {
          break;
        }
        this.host.gap(this.topic, next, seq - 1, reason);
        next = seq;
      }
      this.held.delete(seq);
      this.host.deliver(held.message);
      next += 1;
    }
    this.expected = next;
    this.timer.cancel();
    const waiting = oldestFrom[i];
    if (waiting !== undefined) {
      this.timer.armAt(waiting + this.host.gapWaitMs);
    }
  }

  /** Gives up on the lowest hole at once, for the held limit. */
  private closeEarliestHole(): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const seq of this.held.keys()) {
      lowest = Math.min(lowest, seq);
    }
    const expected = this.expected ?? lowest;
    this.host.gap(this.topic, expected, lowest - 1, "hold limit reached");
    this.expected = lowest;
    this.drain();
  }
}

/** `out[i]` is the smallest of `values[i..]`. */
function suffixMinimum(values: readonly number[]): number[] {
  const out = new Array<number>(values.length);
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = values.length - 1; i >= 0; i -= 1) {
    smallest = Math.min(smallest, values[i] as number);
    out[i] = smallest;
  }
  return out;
}

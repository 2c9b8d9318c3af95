import type { SourceMessage } from "../envelope/index.js";
import { type PipelineClock, systemClock } from "./clock.js";
import { DedupeCounter, type DedupeStats } from "./dedupe-counter.js";
import type { GroupEvent } from "./group-events.js";
import { TopicSequence, type TopicSequenceHost } from "./topic-sequence.js";

/** Default of {@link SequenceArbiterOptions.gapWaitMs}. */
export const DEFAULT_GAP_WAIT_MS = 50;
/** Default of {@link SequenceArbiterOptions.maxHeldPerTopic}. */
export const DEFAULT_MAX_HELD_PER_TOPIC = 10_000;
/** Default of {@link SequenceArbiterOptions.resetThreshold}. */
export const DEFAULT_RESET_THRESHOLD = 32;
/** Default of {@link SequenceArbiterOptions.resetGraceMs}. */
export const DEFAULT_RESET_GRACE_MS = 1_000;

/** Options of a {@link SequenceArbiter}. */
export interface SequenceArbiterOptions {
  /**
   * How long a message above a missing number is held, in ms, while the
   * number may still arrive from another member; 0 announces a hole at
   * once. Default {@link DEFAULT_GAP_WAIT_MS} (50), as `dedupe.gapWaitMs`.
   */
  readonly gapWaitMs?: number;
  /**
   * How many messages one topic may hold; one more gives up on the lowest
   * hole at once (reason `hold limit reached`). Default
   * {@link DEFAULT_MAX_HELD_PER_TOPIC} (10,000).
   */
  readonly maxHeldPerTopic?: number;
  /**
   * How far a source must go back below its own highest number on a topic
   * for it to count as a restart rather than reordering on its line.
   * Default {@link DEFAULT_RESET_THRESHOLD} (32).
   */
  readonly resetThreshold?: number;
  /**
   * After a reset, how long the other sources' messages in the old
   * numbering are dropped as stale while the new numbering keeps arriving,
   * in ms. Default {@link DEFAULT_RESET_GRACE_MS} (1,000).
   */
  readonly resetGraceMs?: number;
  /** Time and timers; default the system clock. */
  readonly clock?: PipelineClock;
}

/** What the arbiter did beyond what {@link DedupeStats} counts. */
export interface SequenceStats {
  /** Gap events emitted. */
  readonly gaps: number;
  /** Upstream numbers announced missing, over all gap events. */
  readonly missing: number;
  /** Reset events emitted. */
  readonly resets: number;
  /** Messages dropped because they were numbered from before a reset. */
  readonly stale: number;
  /** Messages held above a hole now, over all topics. */
  readonly held: number;
}

/** A snapshot of a {@link SequenceArbiter}. */
export interface SequenceArbiterStats extends DedupeStats {
  /** Gaps, resets and holds. */
  readonly sequence: SequenceStats;
}

/**
 * The judge of `dedupe.by: seq`: merges A/B lines that carry one upstream
 * numbering (`SourceMessage.upstreamSeq`) into a single ordered stream per
 * topic, announcing what no line supplied.
 *
 * Per topic, the first message sets the expected number. The first copy of
 * the expected number passes, from whichever source, followed by any held
 * numbers right above it. A copy below the expected number, or of a number
 * already held, is dropped as a duplicate. A number above it is held until
 * the numbers below it arrive, or until it has waited `gapWaitMs`: then one
 * `gap` event names the missing range and the held run follows. A message
 * without a safe-integer `upstreamSeq` passes at once and counts unkeyed.
 *
 * Resets. Each source's highest number per topic is kept. A message at
 * least `resetThreshold` below its own source's highest is a restart: the
 * held messages are delivered (announcing their holes), a `reset` event is
 * emitted, and the expectation starts again at that message. The other
 * sources are then on the old numbering: their messages are dropped as
 * stale until they too go back by `resetThreshold` (they restarted and
 * join the new numbering), or until the new numbering has been silent on
 * that topic for `resetGraceMs`, when the next old-numbered message starts
 * a numbering of its own with another reset, so a group whose restarted
 * source then died still follows the survivor. Not detected: a restart by
 * fewer than `resetThreshold` numbers (its first messages are dropped as
 * late copies until it passes the old expectation), and a restart whose
 * first messages reorder (the ones below the first are dropped as late).
 *
 * Held messages and timers are per topic, one timer per topic that holds
 * anything; {@link SequenceArbiter.close} cancels them and discards what
 * is held. Topics are never forgotten, as for the other dedupe modes.
 */
export class SequenceArbiter {
  private readonly topics = new Map<string, TopicSequence>();
  private readonly counter = new DedupeCounter();
  private readonly host: TopicSequenceHost;
  private gaps = 0;
  private missing = 0;
  private resets = 0;
  private stale = 0;

  /**
   * @param emit - receives the arbiter's events, synchronously from
   *   {@link admit} or from a timer.
   * @throws RangeError when an option is out of range.
   */
  constructor(
    options: SequenceArbiterOptions,
    private readonly emit: (event: GroupEvent) => void,
  ) {
    this.host = this.createHost(options);
  }

  /** Judges `message`; what passes is emitted now or later. */
  admit(message: SourceMessage): void {
    const seq = message.upstreamSeq;
    if (seq === undefined || !Number.isSafeInteger(seq)) {
      this.counter.countAccepted(message.source, true);
      this.emit({ type: "message", message });
      return;
    }
    this.topicOf(message.topic).admit(message, seq);
  }

  /** A snapshot of the counts. */
  get stats(): SequenceArbiterStats {
    let held = 0;
    for (const topic of this.topics.values()) {
      held += topic.heldCount;
    }
    const { gaps, missing, resets, stale } = this;
    return {
      ...this.counter.stats,
      sequence: { gaps, missing, resets, stale, held },
    };
  }

  /** Cancels every timer; what is held is discarded. Idempotent. */
  close(): void {
    for (const topic of this.topics.values()) {
      topic.close();
    }
  }

  private topicOf(name: string): TopicSequence {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = new TopicSequence(name, this.host);
      this.topics.set(name, topic);
    }
    return topic;
  }

  private createHost(options: SequenceArbiterOptions): TopicSequenceHost {
    return {
      clock: options.clock ?? systemClock,
      gapWaitMs: checked(options, "gapWaitMs", DEFAULT_GAP_WAIT_MS, 0),
      maxHeld: checked(options, "maxHeldPerTopic", DEFAULT_MAX_HELD_PER_TOPIC),
      resetThreshold: checked(
        options,
        "resetThreshold",
        DEFAULT_RESET_THRESHOLD,
      ),
      resetGraceMs: checked(options, "resetGraceMs", DEFAULT_RESET_GRACE_MS, 0),
      deliver: (message) => {
        this.counter.countAccepted(message.source);
        this.emit({ type: "message", message });
      },
      drop: (message) => this.counter.countDuplicate(message.source),
      dropStale: () => {
        this.stale += 1;
      },
      gap: (topic, from, to, reason) => {
        const count = to - from + 1;
        this.gaps += 1;
        this.missing += count;
        this.emit({
          type: "gap",
          topic,
          count,
          fromUpstreamSeq: from,
          toUpstreamSeq: to,
          reason,
        });
      },
      reset: (topic, reason) => {
        this.resets += 1;
        this.emit({ type: "reset", topic, reason });
      },
    };
  }
}

type NumericOption = Exclude<keyof SequenceArbiterOptions, "clock">;

/** The option's value or default, refused unless an integer >= `min`. */
function checked(
  options: SequenceArbiterOptions,
  name: NumericOption,
  fallback: number,
  min = 1,
): number {
  const value = options[name] ?? fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `sequence arbiter ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

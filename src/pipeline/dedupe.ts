import type { DedupeConfig } from "../config/index.js";
import type { SourceMessage } from "../envelope/index.js";
import { BoundedSet } from "./bounded-set.js";
import { contentKey } from "./content-key.js";
import { DedupeCounter, type DedupeStats } from "./dedupe-counter.js";

/**
 * Decides, message by message, whether a message is the first copy of its
 * event in a group. Stateful: give each group its own.
 */
export interface Dedupe {
  /** The mode this dedupe was created with. */
  readonly by: DedupeConfig["by"];
  /**
   * Judges `message` and remembers it.
   *
   * @returns true for the first copy (keep it), false for a duplicate.
   */
  accept(message: SourceMessage): boolean;
  /** A snapshot of the counts; later calls do not change it. */
  readonly stats: DedupeStats;
}

/** How a judge saw one message. */
type Verdict = "first" | "duplicate" | "unkeyed";

type Judge = (message: SourceMessage) => Verdict;

/**
 * Creates the dedupe of a group from its `dedupe` config.
 *
 * - `id`: the key is the topic and `id` of the message. A key not among the
 *   last `window` distinct keys kept is new: the message passes and its key
 *   is remembered; otherwise it is a duplicate. The window is FIFO (see
 *   {@link BoundedSet}): a key is forgotten `window` new keys after it was
 *   first kept, and a copy that arrives later than that passes again. A
 *   message without an `id` passes and counts as unkeyed.
 * - `seq`: per topic, a message passes only when its `upstreamSeq` is
 *   greater than the highest one kept so far for that topic; duplicates and
 *   late copies are dropped, so the source that is ahead wins. A message
 *   without a finite `upstreamSeq` passes, counts as unkeyed and leaves the
 *   topic's high mark alone. This judge neither waits for a missing
 *   sequence nor notices a restarted one: a {@link GroupPipeline} uses the
 *   {@link SequenceArbiter} for `by: seq` instead, and this mode stays for
 *   callers that want a plain high-water mark. One high mark is kept per
 *   topic the group has carried, never evicted: topics are bounded by the
 *   instruments of the group's feeds in practice.
 * - `content`: the key is a digest of the topic and the payload bytes, or,
 *   with `fields`, of those top-level payload fields (see
 *   {@link contentKey}), in a FIFO window of `window` digests as for `id`.
 *   Every message has a key, so none is unkeyed.
 * - `none`: every message passes.
 *
 * @throws RangeError when a `window` is not an integer from 1 to
 *   `MAX_BOUNDED_SET_CAPACITY` (2^24).
 */
export function createDedupe(config: DedupeConfig): Dedupe {
  return new CountingDedupe(config.by, createJudge(config));
}

function createJudge(config: DedupeConfig): Judge {
  switch (config.by) {
    case "id":
      return judgeById(config.window);
    case "seq":
      return judgeBySeq();
    case "content":
      return judgeByContent(config.window, config.fields);
    case "none":
      return () => "first";
    default: {
      // Unreachable for a validated config; guards callers from plain JS.
      const by: unknown = (config as { by: unknown }).by;
      throw new TypeError(`unknown dedupe mode: ${String(by)}`);
    }
  }
}

function judgeById(window: number): Judge {
  const seen = new BoundedSet<string>(window);
  return (message) => {
    if (message.id === undefined) {
      return "unkeyed";
    }
    return seen.add(`${message.topic}\u0000${message.id}`)
      ? "first"
      : "duplicate";
  };
}

function judgeBySeq(): Judge {
  const highest = new Map<string, number>();
  return (message) => {
    const seq = message.upstreamSeq;
    if (seq === undefined || !Number.isFinite(seq)) {
      // An Infinity would block the topic for good, a NaN compare false.
      return "unkeyed";
    }
    const mark = highest.get(message.topic);
    if (mark !== undefined && seq <= mark) {
      return "duplicate";
    }
    highest.set(message.topic, seq);
    return "first";
  };
}

function judgeByContent(
  window: number,
  fields: readonly string[] | undefined,
): Judge {
  const seen = new BoundedSet<string>(window);
  return (message) =>
    seen.add(contentKey(message, fields)) ? "first" : "duplicate";
}

/** Wraps a judge with the counts every mode shares. */
class CountingDedupe implements Dedupe {
  private readonly counter = new DedupeCounter();

  constructor(
    readonly by: DedupeConfig["by"],
    private readonly judge: Judge,
  ) {}

  accept(message: SourceMessage): boolean {
    const verdict = this.judge(message);
    if (verdict === "duplicate") {
      this.counter.countDuplicate(message.source);
      return false;
    }
    this.counter.countAccepted(message.source, verdict === "unkeyed");
    return true;
  }

  get stats(): DedupeStats {
    return this.counter.stats;
  }
}

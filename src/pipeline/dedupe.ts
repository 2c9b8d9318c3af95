import type { DedupeConfig } from "../config/index.js";
import type { SourceMessage } from "../envelope/index.js";
import { BoundedSet } from "./bounded-set.js";
import { contentKey } from "./content-key.js";

/** What one source's copies came to. */
export interface SourceDedupeStats {
  /** Copies of this source that were kept: its wins. */
  readonly accepted: number;
  /** Copies of this source dropped because another copy was kept first. */
  readonly duplicates: number;
}

/** A snapshot of what a {@link Dedupe} has judged so far. */
export interface DedupeStats {
  /** Messages kept, the unkeyed ones included. */
  readonly accepted: number;
  /** Messages dropped as copies of one already kept. */
  readonly duplicates: number;
  /**
   * Messages kept only because they carried no key to judge them by (no
   * `id` for `by: id`, no usable `upstreamSeq` for `by: seq`). A subset of
   * `accepted`; a steady count usually means the codec extracts no key.
   */
  readonly unkeyed: number;
  /** The counts per source id (`SourceMessage.source`). */
  readonly sources: Readonly<Record<string, SourceDedupeStats>>;
}

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
 *   topic's high mark alone. Not yet handled: waiting `gapWaitMs` for a
 *   missing sequence to arrive from another source and announcing the gap,
 *   and an upstream that restarts its sequence (every message after the
 *   reset is dropped until it passes the old high mark). One high mark is
 *   kept per topic the group has carried, never evicted: topics are bounded
 *   by the instruments of the group's feeds in practice.
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

interface MutableSourceStats {
  accepted: number;
  duplicates: number;
}

/** Wraps a judge with the counts every mode shares. */
class CountingDedupe implements Dedupe {
  private accepted = 0;
  private duplicates = 0;
  private unkeyed = 0;
  private readonly perSource = new Map<string, MutableSourceStats>();

  constructor(
    readonly by: DedupeConfig["by"],
    private readonly judge: Judge,
  ) {}

  accept(message: SourceMessage): boolean {
    const verdict = this.judge(message);
    const source = this.sourceStats(message.source);
    if (verdict === "duplicate") {
      this.duplicates += 1;
      source.duplicates += 1;
      return false;
    }
    if (verdict === "unkeyed") {
      this.unkeyed += 1;
    }
    this.accepted += 1;
    source.accepted += 1;
    return true;
  }

  get stats(): DedupeStats {
    const sources = Object.fromEntries(
      [...this.perSource].map(([id, counts]) => [id, { ...counts }]),
    );
    return {
      accepted: this.accepted,
      duplicates: this.duplicates,
      unkeyed: this.unkeyed,
      sources,
    };
  }

  private sourceStats(sourceId: string): MutableSourceStats {
    let stats = this.perSource.get(sourceId);
    if (stats === undefined) {
      stats = { accepted: 0, duplicates: 0 };
      this.perSource.set(sourceId, stats);
    }
    return stats;
  }
}

import type { Envelope } from "../envelope/index.js";

/**
 * What the topic graph hands to subscribers besides envelopes, and what a
 * resuming subscriber is replayed. Each item is tagged with `type`, the
 * same word the JSON client protocol puts in its frames.
 */

/**
 * Seqs `fromSeq` to `toSeq` (inclusive) of `epoch` will never be
 * delivered on `topic`. The seqs are reserved in the topic's numbering, so
 * every seq of an epoch is either a message or inside exactly one gap.
 */
export interface GapNotice {
  readonly type: "gap";
  readonly topic: string;
  /** The epoch the missing seqs belong to. */
  readonly epoch: string;
  /** First missing seq, inclusive. */
  readonly fromSeq: number;
  /** Last missing seq, inclusive; at least `fromSeq`. */
  readonly toSeq: number;
  /** Why, for people and metrics: see {@link NoticeReason} for replay's. */
  readonly reason: string;
}

/**
 * The topic's sequence history known so far is gone: seqs start again
 * from 1 in `epoch`. A subscriber must forget what it held of the topic.
 */
export interface ResetNotice {
  readonly type: "reset";
  readonly topic: string;
  /**
   * The topic's epoch from now on; absent only in a replay for a topic the
   * graph has never seen, whose epoch is not chosen until it publishes.
   */
  readonly epoch?: string;
  /** Why, for people and metrics. */
  readonly reason: string;
}

/** One envelope as an item of history or replay. */
export interface MessageItem {
  readonly type: "message";
  readonly envelope: Envelope;
}

/** What a topic's history holds, in seq order. */
export type HistoryItem = MessageItem | GapNotice;

/** What a replay yields, in the order a subscriber must receive it. */
export type ReplayItem = MessageItem | GapNotice | ResetNotice;

/** The last message a subscriber holds of a topic. */
export interface ResumePoint {
  readonly epoch: string;
  /** Seq of that message; 0 when it holds none of the epoch yet. */
  readonly seq: number;
}

/** The reasons {@link TopicGraph.replay} gives its own notices. */
export const NoticeReason = {
  /** The history no longer reaches back to the resume point. */
  HISTORY_EXPIRED: "history-expired",
  /** The resume point's epoch is not the topic's current one. */
  EPOCH_UNKNOWN: "epoch-unknown",
} as const;

/** First seq an item covers. */
export function firstSeqOf(item: HistoryItem): number {
  return item.type === "message" ? item.envelope.seq : item.fromSeq;
}

/** Last seq an item covers. */
export function lastSeqOf(item: HistoryItem): number {
  return item.type === "message" ? item.envelope.seq : item.toSeq;
}

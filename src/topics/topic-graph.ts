import type { Envelope, SourceMessage } from "../envelope/index.js";
import { createEpoch, stamp } from "./envelope-stamp.js";
import {
  type GapNotice,
  type MessageItem,
  NoticeReason,
  type ReplayItem,
  type ResetNotice,
  type ResumePoint,
} from "./notices.js";
import { matchesPattern, validatePattern, validateTopic } from "./topic.js";
import { TopicHistory } from "./topic-history.js";

/** Default of {@link TopicGraphOptions.historyMessages}. */
const DEFAULT_HISTORY_MESSAGES = 1_000;

/** Default of {@link TopicGraphOptions.historyMaxAgeMs}: five minutes. */
const DEFAULT_HISTORY_MAX_AGE_MS = 300_000;

/** What the graph knows about one topic, as of the moment it was asked. */
export interface TopicInfo {
  readonly topic: string;
  /** Id of the topic's current sequence history; see resetEpoch(). */
  readonly epoch: string;
  /**
   * The last seq assigned in the epoch, messages and gaps alike; 0 only
   * after a reset, until the next message or gap.
   */
  readonly seq: number;
  /** Messages published on the topic since the graph first saw it. */
  readonly messages: number;
  /** Gap notices published on the topic since the graph first saw it. */
  readonly gaps: number;
  /** Seqs those gap notices covered, in all epochs. */
  readonly missedMessages: number;
  /** Epochs started by resetEpoch(), after the first one. */
  readonly resets: number;
  /** Items (messages and gap notices) held for resuming subscribers. */
  readonly historyItems: number;
  /** When the last message was published, ms since the Unix epoch; 0 if none. */
  readonly lastMessageAt: number;
  /** Lineage: ids of every source whose copy has been published here. */
  readonly sources: ReadonlySet<string>;
}

/** Options of {@link TopicGraph}. */
export interface TopicGraphOptions {
  /**
   * Clock for `lastMessageAt`, history ages and the time part of new
   * epochs, in ms since the Unix epoch. Default `Date.now`.
   */
  readonly now?: () => number;
  /**
   * Items kept per topic for resuming subscribers; a gap notice takes one
   * item like a message does. 0 keeps no history, so every resume that is
   * behind gets a `history-expired` gap. Default 1000 (config:
   * `limits.historyMessages`).
   */
  readonly historyMessages?: number;
  /**
   * Oldest item kept per topic, in ms; 0 keeps items of any age, leaving
   * `historyMessages` the only bound. Items are dropped lazily, when the
   * topic next publishes or replays. Default 300 000 (config:
   * `limits.historyMaxAgeMs`).
   */
  readonly historyMaxAgeMs?: number;
}

/** The mutable record behind a {@link TopicInfo}. */
interface TopicState {
  readonly topic: string;
  epoch: string;
  seq: number;
  messages: number;
  gaps: number;
  missedMessages: number;
  resets: number;
  lastMessageAt: number;
  readonly sources: Set<string>;
  readonly history: TopicHistory;
}

/**
 * The gateway's single source of ordering: stamps every message that
 * survived arbitration with its topic's next seq and the topic's epoch,
 * and keeps per-topic counters, lineage and a bounded history.
 *
 * Within an epoch every seq from 1 up is either a message or inside one
 * gap notice: publishGap() reserves the seqs it announces. The history
 * keeps both, so that replay() gives a resuming subscriber exactly the
 * stream it would have received live.
 *
 * Topics are kept for the graph's lifetime; a feed that invents unbounded
 * topic names grows this map without bound.
 */
export class TopicGraph {
  readonly #topics = new Map<string, TopicState>();
  readonly #now: () => number;
  readonly #historyMessages: number;
  readonly #historyMaxAgeMs: number;

  /** Throws a RangeError for a history bound that is not an integer >= 0. */
  constructor(options: TopicGraphOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#historyMessages = checkBound(
      "historyMessages",
      options.historyMessages ?? DEFAULT_HISTORY_MESSAGES,
    );
    this.#historyMaxAgeMs = checkBound(
      "historyMaxAgeMs",
      options.historyMaxAgeMs ?? DEFAULT_HISTORY_MAX_AGE_MS,
    );
  }

  /** Number of topics seen. */
  get size(): number {
    return this.#topics.size;
  }

  /**
   * Stamps `message` with its topic's next seq and its epoch, and keeps it
   * in the topic's history. A topic seen for the first time is validated
   * and gets a new epoch; an invalid topic throws a {@link TopicError} and
   * leaves the graph unchanged.
   */
  publish(message: SourceMessage): Envelope {
    const state = this.#stateFor(message.topic);
    const now = this.#now();
    state.seq++;
    state.messages++;
    state.lastMessageAt = now;
    state.sources.add(message.source);
    const envelope = stamp(message, state.seq, state.epoch);
    const item: MessageItem = { type: "message", envelope };
    state.history.add(item, now);
    return envelope;
  }

  /**
   * Reserves the next `count` seqs of `topic` for messages that will never
   * come, and returns the notice announcing them. The history keeps the
   * notice, so a replay across the hole announces it in order. A new topic
   * is created as by publish(). Throws a RangeError unless `count` is a
   * positive integer.
   */
  publishGap(topic: string, count: number, reason: string): GapNotice {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`gap count must be a positive integer: ${count}`);
    }
    const state = this.#stateFor(topic);
    const fromSeq = state.seq + 1;
    state.seq += count;
    state.gaps++;
    state.missedMessages += count;
    const gap = gapNotice(state, fromSeq, state.seq, reason);
    state.history.add(gap, this.#now());
    return gap;
  }

  /**
   * Starts a new epoch for `topic`: seqs restart at 1 and the history is
   * dropped, since its seqs mean nothing in the new epoch. A new topic is
   * created as by publish(), directly in a fresh epoch.
   */
  resetEpoch(topic: string, reason: string): ResetNotice {
    const existing = this.#topics.get(topic);
    const state = existing ?? this.#create(topic);
    if (existing !== undefined) {
      state.epoch = this.#newEpoch(state.epoch);
      state.seq = 0;
      state.resets++;
      state.history.clear();
    }
    return { type: "reset", topic, epoch: state.epoch, reason };
  }

  /**
   * What a subscriber holding `point` of `topic` needs to be up to date,
   * in delivery order:
   * - the epoch is current: the history after `point.seq`, preceded by a
   *   `history-expired` gap for the seqs no longer held;
   * - the epoch is not current: an `epoch-unknown` reset, then the held
   *   history of the current epoch as above (from seq 0), so no hole is
   *   left unannounced; for a topic never seen, the reset alone.
   *
   * A point at or ahead of the current seq in the current epoch is taken
   * as up to date and gets nothing: the epoch proves the subscriber saw
   * this graph's numbering, and guessing what else it saw would be worse.
   * Throws a {@link TopicError} for an invalid topic and a RangeError for
   * a seq that is not an integer >= 0.
   */
  replay(topic: string, point: ResumePoint): ReplayItem[] {
    validateTopic(topic);
    if (!Number.isSafeInteger(point.seq) || point.seq < 0) {
      throw new RangeError(`resume seq must be an integer >= 0: ${point.seq}`);
    }
    const state = this.#topics.get(topic);
    const reason = NoticeReason.EPOCH_UNKNOWN;
    if (state === undefined) return [{ type: "reset", topic, reason }];
    if (point.epoch === state.epoch) return this.#after(state, point.seq);

    const reset: ResetNotice = {
      type: "reset",
      topic,
      epoch: state.epoch,
      reason,
    };
    return [reset, ...this.#after(state, 0)];
  }

  /** A snapshot of `topic`, or undefined when the graph never saw it. */
  get(topic: string): TopicInfo | undefined {
    const state = this.#topics.get(topic);
    return state === undefined ? undefined : snapshot(state);
  }

  /**
   * Snapshots of every topic matching `pattern` (all topics when omitted),
   * sorted by topic name in code-unit order. Throws a {@link TopicError}
   * for an invalid pattern.
   */
  list(pattern?: string): TopicInfo[] {
    if (pattern !== undefined) validatePattern(pattern);
    const found: TopicInfo[] = [];
    for (const state of this.#topics.values()) {
      if (pattern === undefined || matchesPattern(pattern, state.topic)) {
        found.push(snapshot(state));
      }
    }
    return found.sort((a, b) => compare(a.topic, b.topic));
  }

  /**
   * Every topic with its message count, in no particular order: what a
   * rate sampler needs each second, without the snapshots and sorting of
   * {@link list}.
   */
  *messageCounts(): IterableIterator<[string, number]> {
    for (const state of this.#topics.values()) {
      yield [state.topic, state.messages];
    }
  }

  /** The items after `seq` of the current epoch, holes announced. */
  #after(state: TopicState, seq: number): ReplayItem[] {
    if (seq >= state.seq) return [];
    state.history.prune(this.#now());
    const held = state.history.firstSeq() ?? state.seq + 1;
    const items: ReplayItem[] = [];
    if (held > seq + 1) {
      const reason = NoticeReason.HISTORY_EXPIRED;
      items.push(gapNotice(state, seq + 1, held - 1, reason));
    }
    items.push(...state.history.itemsAfter(seq));
    return items;
  }

  #stateFor(topic: string): TopicState {
    return this.#topics.get(topic) ?? this.#create(topic);
  }

  #create(topic: string): TopicState {
    validateTopic(topic);
    const state: TopicState = {
      topic,
      epoch: createEpoch(this.#now()),
      seq: 0,
      messages: 0,
      gaps: 0,
      missedMessages: 0,
      resets: 0,
      lastMessageAt: 0,
      sources: new Set(),
      history: new TopicHistory(this.#historyMessages, this.#historyMaxAgeMs),
    };
    this.#topics.set(topic, state);
    return state;
  }

  /** A new epoch id, never equal to `previous` (40 random bits may be). */
  #newEpoch(previous: string): string {
    let epoch = createEpoch(this.#now());
    while (epoch === previous) epoch = createEpoch(this.#now());
    return epoch;
  }
}

function gapNotice(
  state: TopicState,
  fromSeq: number,
  toSeq: number,
  reason: string,
): GapNotice {
  const { topic, epoch } = state;
  return { type: "gap", topic, epoch, fromSeq, toSeq, reason };
}

function snapshot(state: TopicState): TopicInfo {
  return {
    topic: state.topic,
    epoch: state.epoch,
    seq: state.seq,
    messages: state.messages,
    gaps: state.gaps,
    missedMessages: state.missedMessages,
    resets: state.resets,
    historyItems: state.history.length,
    lastMessageAt: state.lastMessageAt,
    sources: new Set(state.sources),
  };
}

/** `value` if it is an integer >= 0; throws a RangeError naming `name`. */
function checkBound(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
  }
  return value;
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

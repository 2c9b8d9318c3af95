import { EncodedEnvelope, EncodedNotice } from "./fanout.js";
import { GapIndex, gapOf, SLOW_CONSUMER } from "./gap-index.js";

/**
 * What a session does with a message when its client cannot keep up and
 * its queue is full (see DESIGN.md, "Delivery and slow consumers"):
 * - `drop-oldest`: drop the oldest queued messages;
 * - `conflate`: when the queue is full, first drop queued messages that a
 *   later queued message of the same topic and key (the same topic when
 *   there is no key) supersedes, then the oldest;
 * - `disconnect`: close the session.
 * Every dropped message is announced to the client with a gap notice,
 * reason `slow-consumer`, in the place of what it replaces.
 *
 * Each queued message carries the policy of the subscription it came
 * through, so one session can hold a conflated quote stream beside trades
 * it must never lose. A full queue first conflates what may be conflated,
 * then drops the oldest message that may be dropped; only when what
 * remains over the limits is all `disconnect` does the session close.
 */
export const SLOW_CONSUMER_POLICIES = [
  "drop-oldest",
  "conflate",
  "disconnect",
] as const;
export type SlowConsumerPolicy = (typeof SLOW_CONSUMER_POLICIES)[number];

export { SLOW_CONSUMER } from "./gap-index.js";

/** Bytes a queued message is taken to use beyond its payload and topic. */
const MESSAGE_OVERHEAD_BYTES = 96;

export type QueueItem = EncodedEnvelope | EncodedNotice;

/** The transport side of a queue: a WebSocket or gRPC stream. */
export interface QueueSink {
  /** True when the transport takes a frame now without buffering more. */
  ready(): boolean;
  /** Hands one item to the transport. */
  write(item: QueueItem): void;
  /** Called once with `disconnect` when the queue overflows. */
  overflow(reason: string): void;
}

/** Limits and policy of one session's queue. */
export interface SessionQueueOptions {
  /** The policy of a message that {@link policyOf} does not decide. */
  readonly policy: SlowConsumerPolicy;
  /**
   * The policy of one message, asked only when it has to wait in the
   * queue; without it every message has {@link policy}.
   */
  readonly policyOf?: (
    message: EncodedEnvelope,
  ) => SlowConsumerPolicy | undefined;
  /** Most messages held; notices are bounded by topics, not counted. */
  readonly maxMessages: number;
  /** Most payload bytes held (estimated before encoding). */
  readonly maxBytes: number;
  /**
   * `drop-oldest` messages a stalled queue keeps, the newest (see
   * {@link SessionQueue.stall}).
   */
  readonly stalledMaxMessages: number;
  /**
   * Told of each message handed to the transport, with its ingest time,
   * for the ingest-to-write latency metric. It must be O(1).
   */
  readonly onDelivered?: (ingestTime: number) => void;
}

/**
 * Counters of a queue. For every session the invariant
 * `accepted = delivered + dropped + queued` holds at all times.
 */
export interface SessionQueueStats {
  accepted: number;
  delivered: number;
  dropped: number;
  queued: number;
  queuedBytes: number;
  /** Gap notices this queue produced for dropped messages. */
  gaps: number;
}

interface Node {
  item: QueueItem;
  prev: Node | undefined;
  next: Node | undefined;
  /** Bytes counted for a message; 0 for a notice. */
  bytes: number;
  /** The conflation key of a message node while it is indexed. */
  key: string | undefined;
  /** The policy of a message node; undefined for a notice. */
  policy: SlowConsumerPolicy | undefined;
}

/**
 * A session's bounded send queue. Items go straight to the transport while
 * it is ready; only a client that falls behind builds a queue, and only
 * then does the policy apply. A doubly linked list keeps removal from the
 * middle (conflation) O(1).
 */
export class SessionQueue {
  readonly stats: SessionQueueStats = {
    accepted: 0,
    delivered: 0,
    dropped: 0,
    queued: 0,
    queuedBytes: 0,
    gaps: 0,
  };
  readonly #sink: QueueSink;
  readonly #options: SessionQueueOptions;
  #head: Node | undefined;
  #tail: Node | undefined;
  // Both indexes are made on first use: most sessions never fall behind,
  // and an empty Map still costs a few hundred bytes per session.
  /** Queued messages by conflation key (only with `conflate`). */
  #byKey: Map<string, Node> | undefined;
  /** The queued slow-consumer gaps, to extend and join (see GapIndex). */
  readonly #gaps = new GapIndex<Node>();
  #overflowed = false;
  #stalled = false;
  /** Queued messages whose policy is `drop-oldest`. */
  #droppable = 0;

  constructor(sink: QueueSink, options: SessionQueueOptions) {
    this.#sink = sink;
    this.#options = options;
  }

  /** Takes an item for the client; writes it now when nothing waits. */
  push(item: QueueItem): void {
    if (this.#overflowed) return;
    const isMessage = item instanceof EncodedEnvelope;
    if (isMessage) this.stats.accepted++;
    if (this.#head === undefined && this.#sink.ready()) {
      this.#write(item);
      return;
    }
    this.#append(item);
    this.#enforceLimits();
  }

  /**
   * The client was found to read nothing (a ping unanswered, a stream
   * without progress). Until {@link resume}, the policy acts at once
   * rather than when the queue is full, so a client that stopped is
   * handled in the time it takes to notice, not in the minutes a large
   * queue takes to fill: `conflate` keeps only the latest message of each
   * topic and key, and `drop-oldest` keeps the newest `stalledMaxMessages`.
   * What it drops is announced as gaps, as always.
   */
  stall(): void {
    if (this.#stalled) return;
    this.#stalled = true;
    this.#conflate(() => true);
    this.#trimDroppable();
  }

  /** The client reads again: the limits are the full queue's again. */
  resume(): void {
    this.#stalled = false;
  }

  /** True between {@link stall} and {@link resume}. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** Writes queued items while the transport is ready. */
  drain(): void {
    while (this.#head !== undefined && this.#sink.ready()) {
      const node = this.#head;
      this.#unlink(node);
      this.#write(node.item);
    }
  }

  /** Forgets everything queued, e.g. when the session closes. */
  clear(): void {
    for (let node = this.#head; node !== undefined; node = node.next) {
      if (node.item instanceof EncodedEnvelope) this.stats.dropped++;
    }
    this.#head = this.#tail = undefined;
    this.#byKey = undefined;
    this.#gaps.clear();
    this.#droppable = 0;
    this.stats.queued = 0;
    this.stats.queuedBytes = 0;
  }

  #write(item: QueueItem): void {
    this.#sink.write(item);
    if (item instanceof EncodedEnvelope) {
      this.stats.delivered++;
      this.#options.onDelivered?.(item.envelope.ingestTime);
    }
  }

  #append(item: QueueItem): void {
    const bytes = item instanceof EncodedEnvelope ? sizeOf(item) : 0;
    const node: Node = {
      item,
      prev: this.#tail,
      next: undefined,
      bytes,
      key: undefined,
      policy: undefined,
    };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    if (!(item instanceof EncodedEnvelope)) return;
    this.stats.queued++;
    this.stats.queuedBytes += bytes;
    const policy = this.#options.policyOf?.(item) ?? this.#options.policy;
    node.policy = policy;
    if (policy === "drop-oldest") this.#droppable++;
    if (policy !== "conflate") return;
    node.key = conflationKey(item);
    this.#byKey ??= new Map();
    const superseded = this.#byKey.get(node.key);
    this.#byKey.set(node.key, node);
    if (this.#stalled && superseded !== undefined) {
      this.#dropMessage(superseded);
    }
  }

  /**
   * Drops `conflate` messages that a later queued one supersedes, oldest
   * first, while `over`.
   */
  #conflate(over: () => boolean): void {
    if (this.#byKey === undefined) return;
    let node = this.#head;
    while (node !== undefined && over()) {
      const next = node.next;
      const superseded =
        node.policy === "conflate" &&
        this.#byKey.get(node.key as string) !== node;
      if (superseded) this.#dropMessage(node);
      node = next;
    }
  }

  /** Drops the oldest messages that may be dropped while `over`. */
  #dropOldest(over: () => boolean): void {
    let node = this.#head;
    while (node !== undefined && over()) {
      const next = node.next;
      const droppable =
        node.policy === "drop-oldest" || node.policy === "conflate";
      if (droppable) this.#dropMessage(node);
      node = next;
    }
  }

  /** While stalled: keeps the newest `stalledMaxMessages` drop-oldest ones. */
  #trimDroppable(): void {
    const keep = this.#options.stalledMaxMessages;
    let node = this.#head;
    while (node !== undefined && this.#droppable > keep) {
      const next = node.next;
      if (node.policy === "drop-oldest") this.#dropMessage(node);
      node = next;
    }
  }

  #enforceLimits(): void {
    if (this.#stalled) this.#trimDroppable();
    const { maxMessages, maxBytes } = this.#options;
    const over = () =>
      this.stats.queued > maxMessages || this.stats.queuedBytes > maxBytes;
    if (!over()) return;
    this.#conflate(over);
    this.#dropOldest(over);
    if (!over()) return;
    // What is left over the limits must not be dropped: close instead.
    this.#overflowed = true;
    const reason =
      `slow consumer: more than ${maxMessages} messages or ` +
      `${maxBytes} bytes queued`;
    this.clear();
    this.#sink.overflow(reason);
  }

  /**
   * Drops a queued message, announcing it with a gap: the queued gap of
   * its topic that ends just before it or starts just after it grows to
   * take it in (and two gaps it joins become one), or a new gap takes its
   * place. A gap may stand further up or down the queue than the message
   * did: only the order within a topic matters, and no message of the
   * topic lies between a gap and a seq that borders it.
   */
  #dropMessage(node: Node): void {
    const { topic, epoch, seq } = (node.item as EncodedEnvelope).envelope;
    this.stats.dropped++;
    this.stats.queued--;
    this.stats.queuedBytes -= node.bytes;
    this.#forgetMessage(node);

    const before = this.#gaps.endingBefore(topic, epoch, seq);
    const after = this.#gaps.startingAfter(topic, epoch, seq);
    if (before === undefined && after === undefined) {
      node.item = new EncodedNotice({
        type: "gap",
        topic,
        epoch,
        fromSeq: seq,
        toSeq: seq,
        reason: SLOW_CONSUMER,
      });
      node.bytes = 0;
      node.policy = undefined;
      this.#gaps.add(node);
      this.stats.gaps++;
      return;
    }
    this.#unlink(node, false);
    if (after === undefined) {
      this.#gaps.extend(before as Node, gapOf(before as Node).fromSeq, seq);
      return;
    }
    // Within a topic, `before` stands ahead of the message and `after`
    // behind it. Keeping `after` means only nodes ahead of the message
    // ever leave the list, which the loops walking forward rely on.
    let fromSeq = seq;
    if (before !== undefined) {
      fromSeq = gapOf(before).fromSeq;
      this.#unlink(before);
      this.stats.gaps--;
    }
    this.#gaps.extend(after, fromSeq, gapOf(after).toSeq);
  }

  /**
   * Uncounts a message node leaving the queue and unindexes it, unless a
   * later one holds its key.
   */
  #forgetMessage(node: Node): void {
    if (node.policy === "drop-oldest") this.#droppable--;
    if (node.key !== undefined && this.#byKey?.get(node.key) === node) {
      this.#byKey.delete(node.key);
    }
    node.key = undefined;
  }

  /** Takes a node out of the list; `count` false for a dropped message. */
  #unlink(node: Node, count = true): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
    if (!count) return;
    if (node.item instanceof EncodedEnvelope) {
      this.stats.queued--;
      this.stats.queuedBytes -= node.bytes;
      this.#forgetMessage(node);
    } else {
      this.#gaps.remove(node);
    }
  }
}

function sizeOf(item: EncodedEnvelope): number {
  const { data, topic } = item.envelope;
  return data.length + topic.length + MESSAGE_OVERHEAD_BYTES;
}

function conflationKey(item: EncodedEnvelope): string {
  const { topic, key } = item.envelope;
  return key === undefined ? topic : `${topic}\u0000${key}`;
}

import type { GapNotice } from "../topics/index.js";
import { EncodedNotice } from "./fanout.js";
import type { QueueItem } from "./session-queue.js";

/** The gap reason of messages a session dropped. */
export const SLOW_CONSUMER = "slow-consumer";

/** A queue node that may hold a gap. */
export interface GapNode {
  item: QueueItem;
}

/**
 * The slow-consumer gaps queued in one session queue, found by topic,
 * epoch and the seq that would extend each: the one after its last and
 * the one before its first. A dropped message joins the gap it borders,
 * and a drop between two gaps joins them, so however conflation picks its
 * victims a topic's gaps never outnumber the messages still queued
 * between them. The maps are made on first use: most sessions never drop.
 */
export class GapIndex<N extends GapNode> {
  #byNext: Map<string, N> | undefined;
  #byPrevious: Map<string, N> | undefined;

  /** The queued gap whose last seq is `seq - 1`. */
  endingBefore(topic: string, epoch: string, seq: number): N | undefined {
    return this.#byNext?.get(gapKey(topic, epoch, seq));
  }

  /** The queued gap whose first seq is `seq + 1`. */
  startingAfter(topic: string, epoch: string, seq: number): N | undefined {
    return this.#byPrevious?.get(gapKey(topic, epoch, seq));
  }

  /** Indexes a node that now holds one of the queue's own gaps. */
  add(node: N): void {
    const { topic, epoch, fromSeq, toSeq } = gapOf(node);
    this.#byNext ??= new Map();
    this.#byPrevious ??= new Map();
    this.#byNext.set(gapKey(topic, epoch, toSeq + 1), node);
    this.#byPrevious.set(gapKey(topic, epoch, fromSeq - 1), node);
  }

  /** Gives an indexed gap node a new range, and indexes it by that. */
  extend(node: N, fromSeq: number, toSeq: number): void {
    this.remove(node);
    node.item = new EncodedNotice({ ...gapOf(node), fromSeq, toSeq });
    this.add(node);
  }

  /** Forgets a node leaving the queue; any other notice is not indexed. */
  remove(node: N): void {
    if (!isOwnGap(node.item)) return;
    const { topic, epoch, fromSeq, toSeq } = gapOf(node);
    const next = gapKey(topic, epoch, toSeq + 1);
    const previous = gapKey(topic, epoch, fromSeq - 1);
    if (this.#byNext?.get(next) === node) this.#byNext.delete(next);
    if (this.#byPrevious?.get(previous) === node) {
      this.#byPrevious.delete(previous);
    }
  }

  clear(): void {
    this.#byNext = this.#byPrevious = undefined;
  }
}

/** The notice of a node holding a gap. */
export function gapOf(node: GapNode): GapNotice {
  return (node.item as EncodedNotice).notice as GapNotice;
}

/** True for a gap a queue announced drops with, not a topic's own. */
function isOwnGap(item: QueueItem): boolean {
  if (!(item instanceof EncodedNotice)) return false;
  const { notice } = item;
  return notice.type === "gap" && notice.reason === SLOW_CONSUMER;
}

function gapKey(topic: string, epoch: string, seq: number): string {
  return `${topic}\u0000${epoch}\u0000${seq}`;
}

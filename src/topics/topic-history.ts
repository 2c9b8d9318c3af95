import {
  firstSeqOf,
  type GapNotice,
  type HistoryItem,
  lastSeqOf,
} from "./notices.js";
import { Ring } from "./ring.js";

/** One item with the time it entered the history. */
interface Entry {
  readonly at: number;
  readonly item: HistoryItem;
}

/**
 * The recent items of one topic, oldest first, bounded by count and age.
 * Internal to this module; {@link TopicGraph} owns one per topic.
 *
 * Items are in strictly increasing seq order and, within one epoch, cover
 * a contiguous range of seqs, so the item holding a given seq is found by
 * binary search.
 */
export class TopicHistory {
  readonly #ring: Ring<Entry>;
  /** Oldest age kept, ms; 0 keeps items of any age. */
  readonly #maxAgeMs: number;

  /** Holds at most `maxItems` items, none older than `maxAgeMs` (0: any). */
  constructor(maxItems: number, maxAgeMs: number) {
    this.#ring = new Ring(maxItems);
    this.#maxAgeMs = maxAgeMs;
  }

  /** Items held, including those too old that no prune() has dropped yet. */
  get length(): number {
    return this.#ring.length;
  }

  /** Appends `item`, the newest, which entered at `at`. */
  add(item: HistoryItem, at: number): void {
    this.#ring.push({ at, item });
    this.prune(at);
  }

  /** Drops the items older than the age bound as of `now`. */
  prune(now: number): void {
    if (this.#maxAgeMs === 0) return;
    const oldest = now - this.#maxAgeMs;
    for (let e = this.#ring.at(0); e && e.at < oldest; e = this.#ring.at(0)) {
      this.#ring.shift();
    }
  }

  /** Drops everything, as a new epoch does. */
  clear(): void {
    this.#ring.clear();
  }

  /** The first seq held, or undefined when nothing is. */
  firstSeq(): number | undefined {
    const oldest = this.#ring.at(0);
    return oldest && firstSeqOf(oldest.item);
  }

  /**
   * Every item covering a seq after `seq`, oldest first. A gap that
   * `seq` falls inside is cut to start at `seq + 1`.
   */
  itemsAfter(seq: number): HistoryItem[] {
    const ring = this.#ring;
    const items: HistoryItem[] = [];
    for (let i = this.#indexOfFirstAfter(seq); i < ring.length; i++) {
      const item = (ring.at(i) as Entry).item;
      items.push(firstSeqOf(item) > seq ? item : cutGap(item, seq + 1));
    }
    return items;
  }

  /** Index of the oldest item whose last seq is after `seq`. */
  #indexOfFirstAfter(seq: number): number {
    let low = 0;
    let high = this.#ring.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const item = (this.#ring.at(mid) as Entry).item;
      if (lastSeqOf(item) > seq) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

/**
 * The part of `item` (a gap, since only a gap spans several seqs) from
 * `fromSeq` on.
 */
function cutGap(item: HistoryItem, fromSeq: number): GapNotice {
  if (item.type !== "gap") throw new Error("only a gap spans several seqs");
  return { ...item, fromSeq };
}

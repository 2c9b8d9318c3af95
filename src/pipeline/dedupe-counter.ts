/** What one source's copies came to. */
export interface SourceDedupeStats {
  /** Copies of this source that were kept: its wins. */
  readonly accepted: number;
  /** Copies of this source dropped because another copy was kept first. */
  readonly duplicates: number;
}

/** A snapshot of what a dedupe or arbiter has judged so far. */
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

interface MutableSourceStats {
  accepted: number;
  duplicates: number;
}

/**
 * The counts every dedupe mode and the sequence arbiter share.
 *
 * @internal Used by the stages of this module only.
 */
export class DedupeCounter {
  private accepted = 0;
  private duplicates = 0;
  private unkeyed = 0;
  private readonly perSource = new Map<string, MutableSourceStats>();

  /** Counts a kept message of `sourceId`; `unkeyed` when it had no key. */
  countAccepted(sourceId: string, unkeyed = false): void {
    this.accepted += 1;
    this.sourceStats(sourceId).accepted += 1;
    if (unkeyed) {
      this.unkeyed += 1;
    }
  }

  /** Counts a dropped copy of `sourceId`. */
  countDuplicate(sourceId: string): void {
    this.duplicates += 1;
    this.sourceStats(sourceId).duplicates += 1;
  }

  /** A snapshot of the counts; later calls do not change it. */
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

/**
 * What telemetry reads of a running gateway, as structural types: the
 * gateway's `GatewayControl` (its `listSources` and `listGroups`) fits
 * them as it is, and this module needs no import from the gateway.
 */

/** One source, as `GatewayControl.listSources()` gives it. */
export interface SourceReading {
  readonly config: { readonly id: string };
  readonly health: { readonly state: string };
  readonly counters: {
    /** Frames read from the upstream. */
    readonly frames: number;
    /** Messages the frames were translated into. */
    readonly translated: number;
    /** Frames left out on purpose. */
    readonly skipped: number;
    /** Frames or messages that could not be translated. */
    readonly failed: number;
  };
  /** Its group; its own id for a group of one. */
  readonly group: string;
}

/** One member of a group, as `GroupView.members` lists it. */
export interface MemberReading {
  readonly id: string;
  readonly health: { readonly state: string };
  /** Copies of this member dropped as duplicates. */
  readonly duplicates: number;
}

/** One explicit group, as `GatewayControl.listGroups()` gives it. */
export interface GroupReading {
  readonly config: { readonly id: string; readonly mode: string };
  readonly members: readonly MemberReading[];
  /** The active member of an active-standby group, when one is healthy. */
  readonly active?: string;
}

/** A source's on-demand upstream subscriptions, by state. */
export interface UpstreamReading {
  readonly source: string;
  readonly subscriptions: readonly { readonly state: string }[];
}

/** The reads behind metrics and readiness. */
export interface GatewayReadings {
  listSources(): readonly SourceReading[];
  listGroups(): readonly GroupReading[];
  /** Optional: readers without on-demand sources need not offer it. */
  listUpstreamSubscriptions?(): readonly UpstreamReading[];
}

/**
 * Keeps counters read from elsewhere monotonic. A source's translator
 * counters start over when the source is updated (a new translator), and
 * a Prometheus counter must not go down: when a value drops below the
 * last one seen, the last one is carried as a base. What was counted
 * between the last read and the restart is lost; that is at most one
 * scrape interval's worth.
 */
export class CounterFold {
  readonly #seen = new Map<string, { last: number; base: number }>();

  /** The monotonic total of the counter `key` that now reads `value`. */
  fold(key: string, value: number): number {
    const entry = this.#seen.get(key);
    if (entry === undefined) {
      this.#seen.set(key, { last: value, base: 0 });
      return value;
    }
    if (value < entry.last) entry.base += entry.last;
    entry.last = value;
    return entry.base + value;
  }
}

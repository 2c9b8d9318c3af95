import type { SourceMessage } from "../envelope/index.js";

/**
 * What a group hands to the topic graph, in order, as a tagged union on
 * `type`.
 *
 * - `message`: the copy of a message that won arbitration.
 * - `gap`: upstream numbers `fromUpstreamSeq`..`toUpstreamSeq` (inclusive,
 *   `count` of them) of `topic` came from no member in time and never will:
 *   the topic graph reserves `count` gateway seqs for them and announces
 *   the hole to subscribers. Only `dedupe.by: seq` produces gaps.
 * - `reset`: the upstream numbering of `topic` restarted, so the messages
 *   that follow start a new topic epoch. Only `dedupe.by: seq` produces
 *   resets.
 */
export type GroupEvent = GroupMessageEvent | GroupGapEvent | GroupResetEvent;

/** A message that passed the group; see {@link GroupEvent}. */
export interface GroupMessageEvent {
  readonly type: "message";
  readonly message: SourceMessage;
}

/** A hole no member filled; see {@link GroupEvent}. */
export interface GroupGapEvent {
  readonly type: "gap";
  readonly topic: string;
  /** How many upstream numbers are missing; at least 1. */
  readonly count: number;
  /** The first missing upstream number. */
  readonly fromUpstreamSeq: number;
  /** The last missing upstream number; `from + count - 1`. */
  readonly toUpstreamSeq: number;
  /** Why, for people: `missing from every source`. */
  readonly reason: string;
}

/** A restarted upstream numbering; see {@link GroupEvent}. */
export interface GroupResetEvent {
  readonly type: "reset";
  readonly topic: string;
  /** Why, for people: `source "a" went back from 5000 to 1`. */
  readonly reason: string;
}

/**
 * A change of the active member of an active-standby group. `from` is
 * undefined when no member was active, `to` when no member is healthy.
 */
export interface FailoverEvent {
  /** Id of the group. */
  readonly group: string;
  /** The member that was active. */
  readonly from?: string;
  /** The member that is active now. */
  readonly to?: string;
  /** Why, for people: `source "a" is down: connection reset`. */
  readonly reason: string;
  /** When it happened, by the group's clock (ms since the Unix epoch). */
  readonly at: number;
}

import type { Observable } from "rxjs";
import type {
  DedupeConfig,
  FailbackConfig,
  GroupConfig,
} from "../config/index.js";
import type { SourceHealth } from "../sources/index.js";
import type { Logger } from "../telemetry/index.js";
import type { PipelineClock } from "./clock.js";
import type { DedupeStats } from "./dedupe-counter.js";
import type { SequenceStats } from "./sequence-arbiter.js";

/** Options of a {@link GroupPipeline}. */
export interface GroupPipelineConfig {
  /** Id of the group; names it in logs, errors and failover events. */
  readonly id: string;
  /** How copies from the members are told apart; see {@link createDedupe}
   *  and, for `by: seq`, {@link SequenceArbiter}. */
  readonly dedupe: DedupeConfig;
  /** `active-active` (default) passes every member, `active-standby` only
   *  the active one. */
  readonly mode?: GroupConfig["mode"];
  /** active-standby: when to return to a preferred member; default
   *  `{mode: "auto", holdDownMs: 10_000}`. */
  readonly failback?: FailbackConfig;
  /** active-standby: a member silent this long (ms) is not healthy;
   *  default none, so a quiet market causes no failover. */
  readonly dataDeadlineMs?: number | undefined;
  /** active-standby: how much of each standby's recent stream is kept
   *  for replay on a switch; default 1,000 messages and 5,000 ms. */
  readonly standbyBuffer?: {
    readonly maxMessages?: number;
    readonly maxAgeMs?: number;
  };
  /** Where failovers (warn) and member failures (error) are logged;
   *  default a silent logger. */
  readonly logger?: Logger;
  /** Time and timers of gap waits, hold-downs and deadlines; default the
   *  system clock. */
  readonly clock?: PipelineClock;
}

/** How a member joins a group; see {@link GroupPipeline.addSource}. */
export interface MemberOptions {
  /** Higher is preferred; default 0, ties go to the earlier added. */
  readonly priority?: number;
  /** The member's health. Without it the member counts as `up`. */
  readonly health?: Observable<SourceHealth>;
}

/** One member in {@link GroupPipelineStats}. */
export interface GroupMemberStats {
  readonly id: string;
  readonly priority: number;
  /** Its last reported health; undefined until it reports one. */
  readonly health: SourceHealth | undefined;
  /** Whether its messages pass now: always in active-active. */
  readonly active: boolean;
  /** Messages held for replay (active-standby standbys only). */
  readonly buffered: number;
}

/** A snapshot of a group's state. */
export interface GroupPipelineStats {
  /** The members consumed now, in the order they were added. */
  readonly members: readonly GroupMemberStats[];
  /** Id of the active member; undefined in active-active or when none is
   *  healthy. */
  readonly active: string | undefined;
  /** What the group's dedupe or arbiter has judged, per source too. */
  readonly dedupe: DedupeStats;
  /** Gaps, resets and held messages; only for `dedupe.by: seq`. */
  readonly sequence: SequenceStats | undefined;
}

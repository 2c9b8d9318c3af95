import type { GroupView, Transport } from "../gateway/index.js";
import type { SourceState } from "../sources/index.js";

/*
 * What a dashboard snapshot holds: plain JSON, the same on the socket,
 * at /dashboard/snapshot.json and in the page's script.
 */

/** One source as the dashboard shows it. */
export interface SourceRow {
  readonly id: string;
  readonly group: string;
  readonly state: SourceState;
  /** Why it entered its state: `handshake timeout`, `connected`. */
  readonly reason: string;
  /** When it entered its state, ms since the Unix epoch. */
  readonly since: number;
  /** When a down source dials again, when a retry is scheduled. */
  readonly nextRetryAt?: number;
  /** Frames per second over the last few seconds. */
  readonly frameRate: number;
  readonly frames: number;
  readonly skipped: number;
  readonly failed: number;
  readonly connects: number;
  /**
   * When its frame count last grew, to within one snapshot interval;
   * absent before its first frame.
   */
  readonly lastFrameAt?: number;
}

/** One member of a group. */
export interface MemberRow {
  readonly id: string;
  readonly state: SourceState;
  readonly priority: number;
  readonly accepted: number;
  readonly duplicates: number;
}

/** One explicit group (groups of one are not listed). */
export interface GroupRow {
  readonly id: string;
  readonly mode: GroupView["config"]["mode"];
  /** `seq`, `id`, `content` or `none`. */
  readonly dedupe: string;
  readonly active?: string;
  readonly members: readonly MemberRow[];
  /**
   * Switches away from an active member seen since the dashboard was
   * created; the first activation does not count.
   */
  readonly failovers: number;
}

/** One topic: its rate and lineage, an edge per feeding source. */
export interface TopicRow {
  readonly topic: string;
  readonly rate: number;
  readonly messages: number;
  readonly subscribers: number;
  readonly sources: readonly string[];
  readonly gaps: number;
  readonly lastMessageAt: number;
}

/** The clients of one transport. */
export interface TransportRow {
  readonly transport: Transport;
  readonly connected: number;
  /** Messages delivered, including by clients gone since. */
  readonly sent: number;
  /** Messages dropped for slow consumers, including clients gone since. */
  readonly dropped: number;
  /** Messages queued now. */
  readonly queued: number;
}

/** What was lost or left out, summed over the gateway. */
export interface DropTotals {
  /** Messages dropped for slow clients, over every transport. */
  readonly clientDrops: number;
  /** Upstream gaps announced, over every topic. */
  readonly gaps: number;
  /** Frames the codecs skipped on purpose (`match`). */
  readonly skipped: number;
  /** Frames that could not be translated. */
  readonly failed: number;
  /** Copies removed by group dedupe. */
  readonly duplicates: number;
}

/** One point of the rate charts. */
export interface RateSample {
  readonly at: number;
  /** Frames per second of each source. */
  readonly sources: Readonly<Record<string, number>>;
  /** Messages per second published over every topic. */
  readonly published: number;
  /** Messages per second written to clients, over every transport. */
  readonly delivered: number;
}

/** Everything the page shows, sent once a second. */
export interface DashboardSnapshot {
  readonly type: "snapshot";
  readonly at: number;
  readonly sources: readonly SourceRow[];
  readonly groups: readonly GroupRow[];
  /** The busiest topics, at most `maxTopics`, by rate then name. */
  readonly topics: readonly TopicRow[];
  /** How many topics there are in all. */
  readonly topicCount: number;
  readonly transports: readonly TransportRow[];
  readonly drops: DropTotals;
  readonly sample: RateSample;
}

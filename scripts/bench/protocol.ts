/**
 * Commands and reports exchanged over IPC between the orchestrator
 * (main.ts) and the feed, server and subscriber processes. Every time is
 * in ms on `clockMs()`, which all processes share.
 */
import type { ScheduleSpec } from "./schedule.js";

/** The systems a scenario compares, in the order they are listed. */
export const SYSTEMS = ["gateway", "bare", "naive"] as const;

/** One of {@link SYSTEMS}. */
export type SystemName = (typeof SYSTEMS)[number];

/** The topic the feed publishes and every client subscribes to. */
export const BENCH_TOPIC = "bench.fanout";

/** What the feed is told to send. */
export interface FeedRun {
  readonly type: "run";
  readonly schedule: ScheduleSpec;
}

/** What the feed tells the orchestrator once its schedule is done. */
export interface FeedReport {
  readonly type: "feed-report";
  readonly sent: number;
  /** How late the feed sent a message after its planned time, ms. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Most bytes waiting in the feed's socket to the system under test. */
  readonly maxBufferedBytes: number;
  /** Upstream connections accepted; more than 1 means a reconnect. */
  readonly connections: number;
}

/** Commands of the server process. */
export type ServerCommand =
  | { readonly type: "start"; readonly feedUrl: string }
  | { readonly type: "memory" }
  | { readonly type: "stop" };

/** The server's memory after a garbage collection. */
export interface MemoryReport {
  readonly type: "memory";
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/** Commands of a subscriber process. */
export type SubscriberCommand =
  | {
      readonly type: "connect";
      readonly url: string;
      readonly clients: number;
      /** Source addresses to spread the clients over (127.0.0.x). */
      readonly localAddresses: readonly string[];
      /** Wait for the gateway's `subscribed` reply before counting ready. */
      readonly awaitSubscribed: boolean;
    }
  | {
      readonly type: "measure";
      readonly total: number;
      readonly windowStart: number;
      readonly windowEnd: number;
      /** Width of the buckets deliveries are counted in. */
      readonly bucketMs: number;
      /** Stop waiting for missing messages at this time. */
      readonly stopAt: number;
    };

/** A subscriber process after connecting its clients. */
export interface SubscriberReady {
  readonly type: "ready";
  readonly connected: number;
  readonly failed: number;
  readonly firstError?: string;
}

/** What one subscriber process saw over the run. */
export interface SubscriberReport {
  readonly type: "subscriber-report";
  readonly clients: number;
  /** Deliveries received inside the window (by receive time). */
  readonly deliveredInWindow: number;
  /** The same, per bucket of `bucketMs` from the window's start. */
  readonly buckets: readonly number[];
  /** Latency in µs of messages planned inside the window, compressed. */
  readonly histogram: string;
  /** Lowest receive − planned time seen, ms (negative: clock skew). */
  readonly minLatencyMs: number;
  /** Messages a client never received, below the last one it received. */
  readonly lost: number;
  /** Messages still missing after the last one a client received. */
  readonly undelivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Gap notices received, and the seqs they announced as missing. */
  readonly gapNotices: number;
  readonly gapSeqs: number;
  /** Clients closed during the run, by close code. */
  readonly closedByCode: Readonly<Record<string, number>>;
  readonly bytes: number;
  readonly frames: number;
}

/**
 * Commands and reports exchanged over IPC between the orchestrator
 * (main.ts) and the feed, server and subscriber processes. Every time is
 * in ms on `clockMs()`, which all processes share.
 */
import type { ScheduleSpec } from "./schedule.js";

/** The fan-out systems scenarios 1 and 3 compare, in table order. */
export const SYSTEMS = ["gateway", "bare", "naive"] as const;

/** What a server process runs (see systems.ts). */
export type SystemKind =
  | "gateway"
  | "bare"
  | "naive"
  | "grpc-gateway"
  | "grpc-bare"
  | "pipeline-gateway"
  | "pipeline-callbacks"
  | "proxy"
  | "direct";

/**
 * Kinds whose clients reach the feed itself, which then acts as the
 * backend of a proxy: `direct` connects them to it, `proxy` through the
 * gateway's pool. The feed sends every client its schedule as ready-made
 * `message` frames, and there is no upstream connection to wait for.
 */
export const BACKEND_KINDS: ReadonlySet<SystemKind> = new Set([
  "proxy",
  "direct",
]);

/** A row's name: one of {@link SYSTEMS} or a variant's label. */
export type SystemName = string;

/** One system under test of a scenario: what runs and how it is set up. */
export interface SystemSpec {
  /** The row's label; unique within a scenario. */
  readonly name: string;
  readonly kind: SystemKind;
  /** Gateway only: `limits` of its config, over the defaults. */
  readonly limits?: Readonly<Record<string, unknown>>;
  /** Gateway only: the many-topic codec (`bench.{/g}.{/t}`). */
  readonly manyTopics?: boolean;
  /** Messages per second, instead of the scenario's rate. */
  readonly rate?: number;
  /** Share of extra clients that stop reading at the window's start. */
  readonly slowShare?: number;
}

/** The topic the feed publishes and every client subscribes to. */
export const BENCH_TOPIC = "bench.fanout";

/** What the feed is told to send. */
export interface FeedRun {
  readonly type: "run";
  readonly schedule: ScheduleSpec;
  /**
   * Send each message as the relays' `message` frame (see `relayFrame`),
   * so that clients connected to the feed read it as they read a relay;
   * default false: the upstream frame the gateway's codec reads.
   */
  readonly clientFrames?: boolean;
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
  | {
      readonly type: "start";
      readonly feedUrl: string;
      readonly spec: SystemSpec;
      /** Scenario 8: the four feeds. */
      readonly feedUrls?: readonly string[];
    }
  | { readonly type: "counts" }
  | {
      readonly type: "watch";
      /** `address:port` of the clients that stop reading. */
      readonly slow: readonly string[];
      readonly fromAt: number;
      readonly untilAt: number;
    }
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
      /** Topics the feed spreads over; 0 or absent: the one bench topic. */
      readonly topics?: number;
      /** Extra clients that stop reading at the window's start. */
      readonly slow?: number;
    }
  | {
      /** Close and reconnect `clients` of them, evenly over `overMs`. */
      readonly type: "churn";
      readonly clients: number;
      readonly overMs: number;
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
  /** `address:port` of each slow client, as the server sees it. */
  readonly slowAddresses?: readonly string[];
}

/** What the gateway's server process saw of the slow clients. */
export interface WatchReport {
  readonly type: "watch-report";
  /** Per slow client, ms after `fromAt` of its first drop (or -1). */
  readonly firstDropMs: readonly number[];
  /**
   * Per slow client, ms after `fromAt` it was first listed as stalled,
   * its writes stopped and its queue under the policy (or -1). Absent in
   * results recorded before ListClients had the flag.
   */
  readonly firstStallMs?: readonly number[];
  /** Per slow client, ms after `fromAt` its session was gone (or -1). */
  readonly goneMs: readonly number[];
  readonly maxSlowQueueDepth: number;
  /** Messages the gateway dropped for slow and for healthy clients. */
  readonly slowDropped: number;
  readonly healthyDropped: number;
  /** Server RSS and heap, sampled every 500 ms without collecting. */
  readonly maxRssBytes: number;
  readonly maxHeapBytes: number;
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
  /** Slow clients: frames and gap notices they read after resuming. */
  readonly slowFrames?: number;
  readonly slowGapNotices?: number;
  readonly slowClosed?: number;
}

/** A subscriber process after a churn. */
export interface ChurnReport {
  readonly type: "churned";
  readonly reconnected: number;
  readonly failed: number;
  /** ms from the churn's start until the last client was ready again. */
  readonly lastReadyMs: number;
  readonly firstError?: string;
}

/** Scenario 8: what the ingest path counted. */
export interface CountsReport {
  readonly type: "counts";
  readonly frames: number;
  readonly unique: number;
}

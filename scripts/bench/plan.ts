/**
 * The scenarios of issue 5 this harness runs, the goals it checks them
 * against, and the two modes (`--quick` and the full run).
 */

/** How a scenario loads the systems, and so how it is judged. */
export type ScenarioKind = "saturation" | "latency";

/** One load, run against every system. */
export interface Scenario {
  /** Stable id, used in the JSON results and by `--only`. */
  readonly id: string;
  readonly kind: ScenarioKind;
  /** The scenario number and name, for the table heading. */
  readonly title: string;
  readonly clients: number;
  /**
   * Messages per second the feed sends, each to every client: the steady
   * rate of a latency scenario, the starting rate of a saturation ramp.
   */
  readonly rate: number;
  /** Saturation only: the rate the ramp reaches at the window's end. */
  readonly rampTo?: number;
  /**
   * Latency only: run at half the deliveries per second the bare relay
   * reached in this saturation scenario of the same run, instead of
   * `rate` (which stays the fallback when that scenario did not run).
   */
  readonly halfOf?: string;
}

/** How long each system runs, and how its load is generated. */
export interface Timing {
  /** Steady load before the window, so that the JIT has settled. */
  readonly warmupMs: number;
  readonly windowMs: number;
  /**
   * How long after the window subscribers wait for missing messages in a
   * latency scenario. A saturated system builds a backlog it would take
   * minutes to drain, so saturation runs stop `SATURATION_SETTLE_MS`
   * after the window instead.
   */
  readonly drainMs: number;
  /** Subscriber processes the clients are split over. */
  readonly subscribers: number;
}

/** A complete run: what `main.ts` executes. */
export interface Plan {
  readonly mode: "quick" | "full";
  /** Each round runs every system once; rounds alternate the order. */
  readonly rounds: number;
  readonly timing: Timing;
  readonly scenarios: readonly Scenario[];
}

/** See {@link Timing.drainMs}. */
export const SATURATION_SETTLE_MS = 500;

/**
 * Saturation throughput is the best bucket of this width: wide enough to
 * smooth the bursts of a saturated event loop, narrow enough to catch
 * the peak of the ramp before the backlog builds.
 */
export const BUCKET_MS = 500;

/*
 * The ramps start well below what any of the systems sustains on this
 * machine and end well above it (about 60k deliveries/s at 1,000 clients
 * when nothing else runs), so each system meets its ceiling inside the
 * window whatever the other load on the machine.
 */
const FANOUT_1K: Scenario = {
  id: "fanout-1k",
  kind: "saturation",
  title: "1. fan-out saturation, 1,000 clients",
  clients: 1000,
  rate: 10,
  rampTo: 200,
};

const FANOUT_10K: Scenario = {
  id: "fanout-10k",
  kind: "saturation",
  title: "1. fan-out saturation, 10,000 clients",
  clients: 10_000,
  rate: 1,
  rampTo: 20,
};

const LATENCY_1K_HALF: Scenario = {
  id: "latency-1k-half",
  kind: "latency",
  title: "3. latency at half of measured saturation, 1,000 clients",
  clients: 1000,
  rate: 30,
  halfOf: FANOUT_1K.id,
};

const LATENCY_1K: Scenario = {
  id: "latency-1k",
  kind: "latency",
  title: "3. latency at the issue's load, 1,000 clients x 100 msg/s",
  clients: 1000,
  rate: 100,
};

const LATENCY_10K: Scenario = {
  id: "latency-10k",
  kind: "latency",
  title: "3. latency at the issue's load, 10,000 clients x 5 msg/s",
  clients: 10_000,
  rate: 5,
};

/** The plan for `--quick` (about a minute) or the full run. */
export function createPlan(quick: boolean): Plan {
  if (quick) {
    return {
      mode: "quick",
      rounds: 1,
      timing: { warmupMs: 1000, windowMs: 3000, drainMs: 2000, subscribers: 2 },
      scenarios: [FANOUT_1K, LATENCY_1K_HALF],
    };
  }
  return {
    mode: "full",
    rounds: 2,
    timing: { warmupMs: 2000, windowMs: 6000, drainMs: 3000, subscribers: 2 },
    scenarios: [
      FANOUT_1K,
      FANOUT_10K,
      LATENCY_1K_HALF,
      LATENCY_1K,
      LATENCY_10K,
    ],
  };
}

/** A goal of the issue, as a bound on the gateway's ratio to a reference. */
export interface Goal {
  readonly metric: "deliveriesPerSec" | "p99Ms" | "p999Ms";
  readonly reference: "bare" | "naive";
  /** at-least: ratio >= bound (more is better); at-most: ratio <= bound. */
  readonly direction: "at-least" | "at-most";
  readonly bound: number;
}

/** The goals of issue 5 for each kind of scenario. */
export const GOALS: Readonly<Record<ScenarioKind, readonly Goal[]>> = {
  saturation: [
    {
      metric: "deliveriesPerSec",
      reference: "bare",
      direction: "at-least",
      bound: 0.9,
    },
    {
      metric: "deliveriesPerSec",
      reference: "naive",
      direction: "at-least",
      bound: 1.15,
    },
  ],
  latency: [
    { metric: "p99Ms", reference: "bare", direction: "at-most", bound: 1.5 },
    { metric: "p999Ms", reference: "bare", direction: "at-most", bound: 2 },
  ],
};

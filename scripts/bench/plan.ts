/**
 * The scenarios of issue 5 this harness runs, the goals it checks them
 * against, and the two modes (`--quick` and the full run).
 */

import type { SystemSpec } from "./protocol.js";

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
  /** The systems compared; default gateway, bare and naive. */
  readonly systems?: readonly SystemSpec[];
  /** The goals checked; default {@link GOALS} of the kind. */
  readonly goals?: readonly Goal[];
  /** The feed sends its messages in bursts of this many; default 1. */
  readonly burst?: number;
  /** The feed spreads messages over this many topics; default 1. */
  readonly topics?: number;
  /** Overrides the plan's measurement window. */
  readonly windowMs?: number;
  /** The metric of the ratio columns; default by kind. */
  readonly ratioMetric?: Goal["metric"];
  /** Ratio columns: these systems; default bare and naive. */
  readonly references?: readonly string[];
  /** Scenario 5: the gateway's server follows its clients and memory. */
  readonly watch?: boolean;
  /** Overrides the plan's rounds (the 60 s slow-consumer runs). */
  readonly rounds?: number;
  /**
   * The proxy scenario: print what `subject` adds over `reference`
   * (latency differences, throughput ratio, CPU of both processes).
   */
  readonly compare?: { readonly subject: string; readonly reference: string };
}

/** The gateway, bare and naive relays, as most scenarios compare them. */
export const FANOUT_SYSTEMS: readonly SystemSpec[] = [
  { name: "gateway", kind: "gateway" },
  { name: "bare", kind: "bare" },
  { name: "naive", kind: "naive" },
];

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
  /**
   * `quick`: three scenarios at small scale, about a minute; `smoke`:
   * every scenario at small scale; `full`: everything, to judge goals.
   */
  readonly mode: "quick" | "smoke" | "full";
  /** Each round runs every system once; rounds alternate the order. */
  readonly rounds: number;
  readonly timing: Timing;
  readonly scenarios: readonly Scenario[];
  /** Scenario 4; undefined when the mode leaves it out. */
  readonly capacity: CapacityPlan | undefined;
  /** Scenario 8; undefined when the mode leaves it out. */
  readonly pipeline: PipelinePlan | undefined;
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

const COALESCE: Scenario = {
  id: "coalesce-1k",
  kind: "latency",
  title: "2. write coalescing, 1,000 clients, bursts of 8",
  clients: 1000,
  rate: 32,
  burst: 8,
  ratioMetric: "deliveriesPerCpuSec",
  systems: [
    { name: "gateway", kind: "gateway", limits: { maxFramesPerWrite: 16 } },
    {
      name: "gateway-nocoalesce",
      kind: "gateway",
      limits: { maxFramesPerWrite: 0 },
    },
    ...FANOUT_SYSTEMS.slice(1),
  ],
  goals: [
    {
      metric: "deliveriesPerCpuSec",
      reference: "naive",
      direction: "at-least",
      bound: 5,
    },
    {
      metric: "p99Ms",
      reference: "gateway-nocoalesce",
      direction: "at-most",
      bound: 3,
      mode: "added-ms",
    },
  ],
};

const SLOW_POLICIES = ["drop-oldest", "disconnect"] as const;

/** Scenario 5: `windowMs` is the 60 s in the full run. */
function slowConsumers(windowMs: number): Scenario {
  return {
    id: "slow-1k",
    kind: "latency",
    title: "5. slow consumers, 1,000 healthy clients + 5% that stop reading",
    clients: 1000,
    rate: 30,
    windowMs,
    watch: true,
    ratioMetric: "p99Ms",
    references: ["gateway"],
    systems: [
      { name: "gateway", kind: "gateway" },
      ...SLOW_POLICIES.map(
        (policy): SystemSpec => ({
          name: `gateway-${policy}`,
          kind: "gateway",
          slowShare: 0.05,
          limits: { slowConsumerPolicy: policy },
        }),
      ),
    ],
    goals: SLOW_POLICIES.flatMap((policy): Goal[] => [
      {
        metric: "p99Ms",
        subject: `gateway-${policy}`,
        reference: "gateway",
        direction: "at-most",
        bound: 1.1,
      },
      {
        metric: "deliveriesPerSec",
        subject: `gateway-${policy}`,
        reference: "gateway",
        direction: "at-least",
        bound: 0.95,
      },
    ]),
  };
}

/*
 * Each client of scenario 6 receives about 2% of the messages (20 of
 * 1,000 topics), so the feed sends 50 times the single-topic rate: both
 * rows are offered about 30k deliveries/s.
 */
const TOPICS: Scenario = {
  id: "topics-1k",
  kind: "latency",
  title: "6. many topics, 1,000 clients on 10 of 1,000 topics + a wildcard",
  clients: 1000,
  rate: 30,
  topics: 1000,
  ratioMetric: "deliveriesPerCpuSec",
  references: ["gateway"],
  systems: [
    { name: "gateway", kind: "gateway" },
    { name: "gateway-topics", kind: "gateway", manyTopics: true, rate: 1500 },
  ],
  goals: [
    {
      metric: "deliveriesPerCpuSec",
      subject: "gateway-topics",
      reference: "gateway",
      direction: "at-least",
      bound: 0.8,
    },
  ],
};

/** Scenario 7 at `clients` subscribers: a saturation ramp. */
function grpc(clients: number, rate: number, rampTo: number): Scenario {
  return {
    id: `grpc-${clients}`,
    kind: "saturation",
    title: `7. gRPC subscribers, ${clients.toLocaleString("en")} streams`,
    clients,
    rate,
    rampTo,
    references: ["grpc-bare"],
    systems: [
      { name: "grpc-gateway", kind: "grpc-gateway" },
      { name: "grpc-bare", kind: "grpc-bare" },
    ],
    goals: [
      {
        metric: "deliveriesPerSec",
        subject: "grpc-gateway",
        reference: "grpc-bare",
        direction: "at-least",
        bound: 0.8,
      },
    ],
  };
}

/** The proxy scenario's rows: clients on the backend, and through a pool. */
const PROXY_SYSTEMS: readonly SystemSpec[] = [
  { name: "direct", kind: "direct" },
  { name: "proxy", kind: "proxy" },
];

/**
 * Issue 7's proxy benchmark: the feed is the backend and sends each client
 * connection the same open-loop schedule; the clients connect to it
 * directly, then through the gateway's pool. A steady load (`rampTo`
 * unset) measures the latency the proxy adds; a ramp, its throughput.
 */
function proxy(
  id: string,
  clients: number,
  rate: number,
  rampTo?: number,
): Scenario {
  const load =
    rampTo === undefined ? "steady load" : "saturation ramp (throughput)";
  return {
    id,
    kind: rampTo === undefined ? "latency" : "saturation",
    title:
      `9. WebSocket proxy vs direct to the backend, ` +
      `${clients.toLocaleString("en")} clients, ${load}`,
    clients,
    rate,
    rampTo,
    systems: PROXY_SYSTEMS,
    references: ["direct"],
    ratioMetric: rampTo === undefined ? "p99Ms" : "deliveriesPerSec",
    // The issue sets no bound; the comparison line reports the figures.
    goals: [],
    compare: { subject: "proxy", reference: "direct" },
  };
}

/** Scenario 4: idle clients, then a share of them reconnecting. */
export interface CapacityPlan {
  readonly clients: number;
  /** How long the idle CPU is measured. */
  readonly idleMs: number;
  /** Clients that close and reconnect, spread evenly over churnMs. */
  readonly churnClients: number;
  readonly churnMs: number;
}

/** Scenario 8: four feeds with 25% duplicates into the ingest path. */
export interface PipelinePlan {
  /** Frames per second over all four feeds. */
  readonly rate: number;
  /**
   * Rounds of this scenario, over the plan's: the goal is a difference of
   * 1 µs in costs of about 20 µs that move by 2 µs from run to run here.
   */
  readonly rounds: number;
  readonly warmupMs: number;
  readonly windowMs: number;
}

/** What `--quick` runs unless `--only` names others. */
const QUICK_SCENARIOS = new Set([
  "fanout-1k",
  "latency-1k-half",
  "coalesce-1k",
]);

/**
 * The plan for `--quick` (fan-out, latency and coalescing at 1,000
 * clients, short windows), `--smoke` (every scenario, small) or the full
 * run.
 */
export function createPlan(mode: Plan["mode"]): Plan {
  if (mode === "quick") {
    const smoke = createPlan("smoke");
    return {
      ...smoke,
      mode,
      timing: { warmupMs: 1000, windowMs: 2000, drainMs: 1000, subscribers: 2 },
      scenarios: smoke.scenarios.filter((s) => QUICK_SCENARIOS.has(s.id)),
      capacity: undefined,
      pipeline: undefined,
    };
  }
  if (mode === "smoke") {
    return {
      mode,
      rounds: 1,
      timing: { warmupMs: 1000, windowMs: 3000, drainMs: 2000, subscribers: 2 },
      scenarios: [
        FANOUT_1K,
        LATENCY_1K_HALF,
        { ...COALESCE, windowMs: 2000 },
        slowConsumers(6000),
        { ...TOPICS, windowMs: 2000 },
        { ...grpc(100, 100, 2000), windowMs: 2000 },
        { ...proxy("proxy-100", 100, 100), windowMs: 2000 },
      ],
      capacity: {
        clients: 2000,
        idleMs: 2000,
        churnClients: 1000,
        churnMs: 2000,
      },
      pipeline: { rate: 20_000, rounds: 1, warmupMs: 1000, windowMs: 3000 },
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
      COALESCE,
      { ...slowConsumers(60_000), rounds: 1 },
      TOPICS,
      grpc(100, 100, 2000),
      grpc(1000, 10, 200),
      proxy("proxy-100", 100, 200),
      proxy("proxy-1k", 1000, 20),
      proxy("proxy-ramp-1k", 1000, 10, 200),
    ],
    capacity: {
      clients: 19_000,
      idleMs: 5000,
      churnClients: 10_000,
      churnMs: 10_000,
    },
    pipeline: { rate: 20_000, rounds: 4, warmupMs: 2000, windowMs: 10_000 },
  };
}

/**
 * A goal of the issue: a bound on the ratio of a system's metric to a
 * reference's (or, with `mode: "added-ms"`, on their difference in ms).
 */
export interface Goal {
  readonly metric:
    | "deliveriesPerSec"
    | "deliveriesPerCpuSec"
    | "p99Ms"
    | "p999Ms";
  /** The system judged; default "gateway". */
  readonly subject?: string;
  readonly reference: string;
  /** at-least: ratio >= bound (more is better); at-most: ratio <= bound. */
  readonly direction: "at-least" | "at-most";
  readonly bound: number;
  readonly mode?: "ratio" | "added-ms";
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

/**
 * One system under test on one scenario: forks the feed, the server and
 * the subscribers, runs the schedule and collects what each measured.
 */
import { readFileSync } from "node:fs";
import { ChildChannel } from "./channel.js";
import { clockMs, sleepUntil } from "./clock.js";
import { measureMachine } from "./machine.js";
import {
  BUCKET_MS,
  SATURATION_SETTLE_MS,
  type Scenario,
  type Timing,
} from "./plan.js";
import { processCpuMs } from "./proc-cpu.js";
import {
  BACKEND_KINDS,
  type FeedReport,
  type MemoryReport,
  type SubscriberReady,
  type SubscriberReport,
  type SystemName,
  type SystemSpec,
  type WatchReport,
} from "./protocol.js";
import { plannedTimes, type ScheduleSpec } from "./schedule.js";

const STARTUP_MS = 15_000;
/** Time between the commands going out and the first planned send. */
const LEAD_MS = 300;
/** Clients beyond this many per source address use the next 127.0.0.x. */
const CLIENTS_PER_ADDRESS = 4000;

/** Everything measured in one run of one system. */
export interface RawRun {
  readonly system: SystemName;
  readonly clients: number;
  readonly feed: FeedReport;
  /** Busy cores of each process over the window. */
  readonly serverCores: number;
  readonly feedCores: number;
  readonly subscriberCores: readonly number[];
  readonly memoryBefore: MemoryReport;
  readonly memoryAfter: MemoryReport;
  readonly ready: readonly SubscriberReady[];
  readonly subscribers: readonly SubscriberReport[];
  /** Busy cores of the whole machine over the window. */
  readonly machineCores: number;
  /** /proc/loadavg before and after the run. */
  readonly loadBefore: string;
  readonly loadAfter: string;
  /** Scenario 5: what the gateway did with the slow clients. */
  readonly watch?: WatchReport;
  /** Slow clients connected, over all subscriber processes. */
  readonly slowClients: number;
  /** Connections the feed should accept: 1, or every client's. */
  readonly feedConnections: number;
}

/** Options of {@link runSystem}. */
export interface RunOptions {
  /** Write a V8 CPU profile of the server process here. */
  readonly profileDir?: string;
}

/** Runs `system` on `scenario`; every process has exited on return. */
export async function runSystem(
  scenario: Scenario,
  spec: SystemSpec,
  planTiming: Timing,
  options: RunOptions = {},
): Promise<RawRun> {
  const system: SystemName = spec.name;
  const timing = {
    ...planTiming,
    windowMs: scenario.windowMs ?? planTiming.windowMs,
  };
  const loadBefore = loadAverage();
  const grpc = spec.kind === "grpc-gateway" || spec.kind === "grpc-bare";
  const backend = BACKEND_KINDS.has(spec.kind);
  const children: ChildChannel[] = [];
  const maxMs = timing.warmupMs + timing.windowMs + timing.drainMs + 90_000;
  const spawn = (name: string, file: string, args: string[] = []) => {
    const flags = ["--expose-gc"];
    if (name === "server" && options.profileDir !== undefined) {
      flags.push("--cpu-prof", `--cpu-prof-dir=${options.profileDir}`);
    }
    const child = new ChildChannel(name, file, {
      args,
      nodeFlags: flags,
      maxMs,
    });
    children.push(child);
    return child;
  };

  const feed = spawn("feed", "./feed.ts");
  const server = spawn("server", "./server.ts", [system]);
  const slowTotal = Math.round(scenario.clients * (spec.slowShare ?? 0));
  try {
    const { url: feedUrl } = await feed.next<{ type: string; url: string }>(
      "listening",
      STARTUP_MS,
    );
    server.send({ type: "start", feedUrl, spec });
    const { url } = await server.next<{ type: string; url: string }>(
      "listening",
      STARTUP_MS,
    );
    if (!backend) await feed.next("upstream", STARTUP_MS);
    server.send({ type: "memory" });
    const memoryBefore = await server.next<MemoryReport>("memory", STARTUP_MS);

    const shares = split(scenario.clients, timing.subscribers);
    const slowShares = split(slowTotal, timing.subscribers);
    const file = grpc ? "./grpc-subscriber.ts" : "./subscriber.ts";
    const subscribers = shares.map(() => spawn("subscriber", file));
    const localAddresses = sourceAddresses(scenario.clients + slowTotal);
    subscribers.forEach((subscriber, i) => {
      subscriber.send({
        type: "connect",
        url,
        clients: shares[i],
        localAddresses,
        awaitSubscribed: spec.kind === "gateway",
        topics: spec.manyTopics === true ? scenario.topics : undefined,
        slow: slowShares[i],
      });
    });
    const connectMs = STARTUP_MS + scenario.clients * 5;
    const ready = await Promise.all(
      subscribers.map((s) => s.next<SubscriberReady>("ready", connectMs)),
    );
    server.send({ type: "memory" });
    const memoryAfter = await server.next<MemoryReport>("memory", STARTUP_MS);

    const slowAddresses = ready.flatMap((r) => r.slowAddresses ?? []);
    const rate = spec.rate ?? scenario.rate;
    const measured = await measure(
      { ...scenario, rate, topics: spec.manyTopics ? scenario.topics : 1 },
      timing,
      feed,
      server,
      subscribers,
      slowAddresses,
      backend,
    );
    return {
      system,
      clients: scenario.clients,
      memoryBefore,
      memoryAfter,
      ready,
      loadBefore,
      loadAfter: loadAverage(),
      slowClients: slowAddresses.length,
      feedConnections: backend ? scenario.clients + slowTotal : 1,
      ...measured,
    };
  } finally {
    // The server goes first so that it, not the clients, is left holding
    // the TIME_WAIT ports; then everything else.
    server.send({ type: "stop" });
    await server.close(5000);
    await Promise.all(children.map((child) => child.close()));
  }
}

/** Starts the schedule and gathers every process's report. */
async function measure(
  scenario: Scenario,
  timing: Timing,
  feed: ChildChannel,
  server: ChildChannel,
  subscribers: readonly ChildChannel[],
  slowAddresses: readonly string[],
  clientFrames: boolean,
) {
  const schedule: ScheduleSpec = {
    startAt: clockMs() + LEAD_MS,
    warmupMs: timing.warmupMs,
    windowMs: timing.windowMs,
    startRate: scenario.rate,
    endRate: scenario.rampTo ?? scenario.rate,
    burst: scenario.burst,
    topics: scenario.topics,
  };
  const total = plannedTimes(schedule).length;
  const windowStart = schedule.startAt + timing.warmupMs;
  const windowEnd = windowStart + timing.windowMs;
  const settleMs =
    scenario.kind === "latency" ? timing.drainMs : SATURATION_SETTLE_MS;
  const stopAt = windowEnd + settleMs;

  feed.send({ type: "run", schedule, clientFrames });
  for (const subscriber of subscribers) {
    subscriber.send({
      type: "measure",
      total,
      windowStart,
      windowEnd,
      bucketMs: BUCKET_MS,
      stopAt,
    });
  }

  const deadlineMs = stopAt - clockMs() + 30_000;
  const watching = scenario.watch === true;
  if (watching) {
    server.send({
      type: "watch",
      slow: slowAddresses,
      fromAt: windowStart,
      untilAt: windowEnd,
    });
  }
  const watch = watching
    ? server.next<WatchReport>("watch-report", deadlineMs)
    : Promise.resolve(undefined);
  const pids = [server, feed, ...subscribers].map((child) => child.pid);
  const [feedReport, reports, machineCores, cores] = await Promise.all([
    feed.next<FeedReport>("feed-report", deadlineMs),
    Promise.all(
      subscribers.map((s) =>
        s.next<SubscriberReport>("subscriber-report", deadlineMs),
      ),
    ),
    measureMachine(windowStart, windowEnd),
    measureCores(pids, windowStart, windowEnd),
  ]);
  const [serverCores = 0, feedCores = 0, ...subscriberCores] = cores;
  return {
    watch: await watch,
    feed: feedReport,
    subscribers: reports,
    machineCores,
    serverCores,
    feedCores,
    subscriberCores,
  };
}

/** Busy cores of each process over the window, read from /proc. */
async function measureCores(
  pids: readonly number[],
  startAt: number,
  endAt: number,
): Promise<number[]> {
  await sleepUntil(startAt);
  const before = pids.map(processCpuMs);
  const wall0 = clockMs();
  await sleepUntil(endAt);
  const after = pids.map(processCpuMs);
  const wallMs = clockMs() - wall0;
  return pids.map((_, i) => {
    const used = (after[i] ?? Number.NaN) - (before[i] ?? Number.NaN);
    return used / wallMs;
  });
}

/** The first three fields of /proc/loadavg: "1.44 3.17 3.29". */
export function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8")
      .split(" ")
      .slice(0, 3)
      .join(" ");
  } catch {
    return "?";
  }
}

/** `total` split into `parts` nearly equal whole shares. */
export function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

/**
 * 127.0.0.1, 127.0.0.2, ...: enough source addresses that no address
 * needs more than CLIENTS_PER_ADDRESS ephemeral ports, since each system
 * in turn leaves its ports in TIME_WAIT for a minute.
 */
export function sourceAddresses(clients: number): string[] {
  const count = Math.max(1, Math.ceil(clients / CLIENTS_PER_ADDRESS));
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}

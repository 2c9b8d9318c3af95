/**
 * One system under test on one scenario: forks the feed, the server and
 * the subscribers, runs the schedule and collects what each measured.
 */
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
import type {
  FeedReport,
  MemoryReport,
  SubscriberReady,
  SubscriberReport,
  SystemName,
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
}

/** Options of {@link runSystem}. */
export interface RunOptions {
  /** Write a V8 CPU profile of the server process here. */
  readonly profileDir?: string;
}

/** Runs `system` on `scenario`; every process has exited on return. */
export async function runSystem(
  scenario: Scenario,
  system: SystemName,
  timing: Timing,
  options: RunOptions = {},
): Promise<RawRun> {
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
  try {
    const { url: feedUrl } = await feed.next<{ type: string; url: string }>(
      "listening",
      STARTUP_MS,
    );
    server.send({ type: "start", feedUrl });
    const { url } = await server.next<{ type: string; url: string }>(
      "listening",
      STARTUP_MS,
    );
    await feed.next("upstream", STARTUP_MS);
    server.send({ type: "memory" });
    const memoryBefore = await server.next<MemoryReport>("memory", STARTUP_MS);

    const shares = split(scenario.clients, timing.subscribers);
    const subscribers = shares.map(() =>
      spawn("subscriber", "./subscriber.ts"),
    );
    const localAddresses = sourceAddresses(scenario.clients);
    subscribers.forEach((subscriber, i) => {
      subscriber.send({
        type: "connect",
        url,
        clients: shares[i],
        localAddresses,
        awaitSubscribed: system === "gateway",
      });
    });
    const connectMs = STARTUP_MS + scenario.clients * 5;
    const ready = await Promise.all(
      subscribers.map((s) => s.next<SubscriberReady>("ready", connectMs)),
    );
    server.send({ type: "memory" });
    const memoryAfter = await server.next<MemoryReport>("memory", STARTUP_MS);

    const measured = await measure(scenario, timing, feed, server, subscribers);
    return {
      system,
      clients: scenario.clients,
      memoryBefore,
      memoryAfter,
      ready,
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
) {
  const schedule: ScheduleSpec = {
    startAt: clockMs() + LEAD_MS,
    warmupMs: timing.warmupMs,
    windowMs: timing.windowMs,
    startRate: scenario.rate,
    endRate: scenario.rampTo ?? scenario.rate,
  };
  const total = plannedTimes(schedule).length;
  const windowStart = schedule.startAt + timing.warmupMs;
  const windowEnd = windowStart + timing.windowMs;
  const settleMs =
    scenario.kind === "latency" ? timing.drainMs : SATURATION_SETTLE_MS;
  const stopAt = windowEnd + settleMs;

  feed.send({ type: "run", schedule });
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

/** `total` split into `parts` nearly equal whole shares. */
function split(total: number, parts: number): number[] {
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
function sourceAddresses(clients: number): string[] {
  const count = Math.max(1, Math.ceil(clients / CLIENTS_PER_ADDRESS));
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}

/**
 * Turns what the processes reported into one row per system: rates,
 * merged latency percentiles, memory, integrity counts and the warnings
 * that say when a number should not be trusted.
 */
import * as hdr from "hdr-histogram-js";
import { BUCKET_MS, type Scenario, type Timing } from "./plan.js";
import type { SystemKind, SystemName, WatchReport } from "./protocol.js";
import type { RawRun } from "./run-system.js";

/** A subscriber process above this share of a core limits the run. */
const BUSY_SUBSCRIBER_CORES = 0.9;
/** A saturated server should use about one core; below this it did not. */
const SATURATED_SERVER_CORES = 0.9;
/** Other work on the machine worth pointing out, in cores. */
const NOTABLE_OTHER_CORES = 0.3;
/** The feed may fall this share of the window behind its schedule. */
const FEED_LAG_SHARE = 0.05;

/** One system's numbers on one scenario. */
export interface SystemResult {
  readonly system: SystemName;
  /** Deliveries received inside the window, all clients, per second. */
  readonly deliveriesPerSec: number;
  /** deliveriesPerSec over the server process's busy cores. */
  readonly deliveriesPerCpuSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Server RSS after the clients connected minus before, per client. */
  readonly rssPerConnBytes: number;
  readonly serverCores: number;
  readonly subscriberCores: readonly number[];
  readonly feedCores: number;
  /** Busy cores of the machine not used by these processes. */
  readonly otherCores: number;
  readonly feedLagP99Ms: number;
  readonly feedLagMaxMs: number;
  /** Mean size of a message frame as received. */
  readonly frameBytes: number;
  readonly lost: number;
  readonly undelivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly gapSeqs: number;
  readonly closedClients: number;
  /** /proc/loadavg before and after this system's run. */
  readonly loadBefore?: string;
  readonly loadAfter?: string;
  /** Scenario 5: the slow clients, and what the gateway did with them. */
  readonly slowClients?: number;
  readonly slowFrames?: number;
  readonly slowGapNotices?: number;
  readonly slowClosed?: number;
  readonly watch?: WatchReport;
  /** Server RSS before the clients connected (for scenario 5's bound). */
  readonly rssBeforeBytes?: number;
  readonly warnings: readonly string[];
}

/** Sums `pick` over the subscriber reports of `run`. */
function total(
  run: RawRun,
  pick: (r: RawRun["subscribers"][number]) => number,
) {
  return run.subscribers.reduce((sum, report) => sum + pick(report), 0);
}

/** The row of one run. */
export function summarizeRun(
  run: RawRun,
  scenario: Scenario,
  timing: Timing,
): SystemResult {
  const histogram = hdr.build({ highestTrackableValue: 60_000_000 });
  for (const report of run.subscribers) {
    histogram.add(hdr.decodeFromCompressedBase64(report.histogram));
  }
  const ms = (percentile: number) =>
    histogram.getValueAtPercentile(percentile) / 1000;
  const inWindow = total(run, (r) => r.deliveredInWindow);
  const windowMs = scenario.windowMs ?? timing.windowMs;
  const meanPerSec = inWindow / (windowMs / 1000);
  const deliveriesPerSec =
    scenario.kind === "saturation" ? peakPerSec(run) : meanPerSec;
  const { subscriberCores, feedCores } = run;
  const ours =
    run.serverCores + feedCores + subscriberCores.reduce((a, b) => a + b, 0);
  const rssDelta = run.memoryAfter.rssBytes - run.memoryBefore.rssBytes;

  const result: Omit<SystemResult, "warnings"> = {
    system: run.system,
    deliveriesPerSec,
    // Over the whole window, at whatever rate: CPU per delivery.
    deliveriesPerCpuSec: meanPerSec / Math.max(run.serverCores, 0.01),
    p50Ms: ms(50),
    p99Ms: ms(99),
    p999Ms: ms(99.9),
    maxMs: histogram.maxValue / 1000,
    rssPerConnBytes: rssDelta / run.clients,
    serverCores: run.serverCores,
    subscriberCores,
    feedCores,
    otherCores: Math.max(0, run.machineCores - ours),
    feedLagP99Ms: run.feed.lagP99Ms,
    feedLagMaxMs: run.feed.lagMaxMs,
    frameBytes: total(run, (r) => r.bytes) / total(run, (r) => r.frames),
    lost: total(run, (r) => r.lost),
    undelivered: total(run, (r) => r.undelivered),
    duplicates: total(run, (r) => r.duplicates),
    outOfOrder: total(run, (r) => r.outOfOrder),
    gapSeqs: total(run, (r) => r.gapSeqs),
    closedClients: total(run, (r) =>
      Object.values(r.closedByCode).reduce((a, b) => a + b, 0),
    ),
    loadBefore: run.loadBefore,
    loadAfter: run.loadAfter,
    slowClients: run.slowClients,
    slowFrames: total(run, (r) => r.slowFrames ?? 0),
    slowGapNotices: total(run, (r) => r.slowGapNotices ?? 0),
    slowClosed: total(run, (r) => r.slowClosed ?? 0),
    watch: run.watch,
    rssBeforeBytes: run.memoryBefore.rssBytes,
  };
  return { ...result, warnings: warningsOf(run, result, scenario, timing) };
}

/**
 * The best bucket's deliveries per second, over all subscriber processes:
 * what the system sustained at the top of the ramp.
 */
function peakPerSec(run: RawRun): number {
  const sums: number[] = [];
  for (const report of run.subscribers) {
    report.buckets.forEach((count, i) => {
      sums[i] = (sums[i] ?? 0) + count;
    });
  }
  return (Math.max(0, ...sums) * 1000) / BUCKET_MS;
}

/** The kind of the system named `system` in `scenario`. */
export function kindOf(
  scenario: Scenario,
  system: SystemName,
): SystemKind | undefined {
  return scenario.systems?.find((spec) => spec.name === system)?.kind;
}

/** Why a row's numbers may say more about the harness than the system. */
function warningsOf(
  run: RawRun,
  result: Omit<SystemResult, "warnings">,
  scenario: Scenario,
  timing: Timing,
): string[] {
  const warnings: string[] = [];
  const pct = (cores: number) => `${Math.round(cores * 100)}%`;
  if (
    result.feedLagMaxMs >
    (scenario.windowMs ?? timing.windowMs) * FEED_LAG_SHARE
  ) {
    warnings.push(`feed fell ${result.feedLagMaxMs.toFixed(0)} ms behind`);
  }
  result.subscriberCores.forEach((cores, i) => {
    if (cores > BUSY_SUBSCRIBER_CORES) {
      warnings.push(`subscriber ${i + 1} at ${pct(cores)} of a core`);
    }
  });
  if (
    scenario.kind === "saturation" &&
    result.serverCores < SATURATED_SERVER_CORES &&
    kindOf(scenario, run.system) !== "direct"
  ) {
    warnings.push(`server only at ${pct(result.serverCores)} of a core`);
  }
  if (result.otherCores > NOTABLE_OTHER_CORES) {
    warnings.push(`other load: ${result.otherCores.toFixed(2)} cores`);
  }
  if (run.feed.connections > run.feedConnections) {
    warnings.push("upstream reconnected");
  }
  const failed = run.ready.reduce((sum, r) => sum + r.failed, 0);
  if (failed > 0) {
    const why = run.ready.find((r) => r.firstError)?.firstError;
    warnings.push(`${failed} clients failed to connect (${why})`);
  }
  if (result.closedClients > 0) {
    const codes = run.subscribers.map((r) => JSON.stringify(r.closedByCode));
    warnings.push(`${result.closedClients} clients closed ${codes.join(" ")}`);
  }
  warnings.push(...integrityProblems(result, scenario));
  return warnings;
}

/**
 * Holes, duplicates and reordering are failures unless the gateway
 * announced them as a gap. A latency run drains, so messages still
 * missing at its end are reported too; a saturation run stops with a
 * backlog, so there they are expected.
 */
function integrityProblems(
  result: Omit<SystemResult, "warnings">,
  scenario: Scenario,
): string[] {
  const problems: string[] = [];
  if (result.lost > result.gapSeqs) {
    problems.push(`LOSS: ${result.lost} missing, ${result.gapSeqs} announced`);
  }
  if (scenario.kind === "latency" && result.undelivered > 0) {
    problems.push(`UNDELIVERED after drain: ${result.undelivered}`);
  }
  if (result.duplicates > 0) {
    problems.push(`DUPLICATES: ${result.duplicates}`);
  }
  if (result.outOfOrder > 0) {
    problems.push(`OUT OF ORDER: ${result.outOfOrder}`);
  }
  return problems;
}

/**
 * Scenario 5's own goals: each slow client handled by its policy within
 * 5 seconds of when it stopped reading, and the gateway's memory bounded
 * by the per-client caps. The latency and throughput goals are ordinary
 * ratios (plan.ts).
 */
import type { GoalLine } from "./report.js";
import type { SystemResult } from "./results.js";

/** The bound on handling a slow client. */
const HANDLED_WITHIN_MS = 5000;
/** ws-sink's SOCKET_HIGH_WATER_BYTES: held in the socket before queueing. */
const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
/** Session limits of the config defaults, which these runs keep. */
const MAX_QUEUE_MESSAGES = 10_000;
const MAX_QUEUE_BYTES = 8 * 1024 * 1024;
/** session-queue's per-message estimate beyond the payload. */
const MESSAGE_OVERHEAD_BYTES = 96;

/** Lines for every row with slow clients, judged against `base`. */
export function slowGoalLines(
  title: string,
  combined: readonly SystemResult[],
): GoalLine[] {
  const base = combined.find((r) => (r.slowClients ?? 0) === 0);
  return combined
    .filter((r) => (r.slowClients ?? 0) > 0 && r.watch !== undefined)
    .flatMap((row) => [handled(title, row), memory(title, row, base)]);
}

function handled(title: string, row: SystemResult): GoalLine {
  const watch = row.watch;
  const disconnect = row.system.includes("disconnect");
  // Under drop-oldest a slow client is handled at its first drop: a
  // stalled session's queue keeps none of the messages that come after
  // the stall is found (limits.stalledQueueMessages is 0), so that is the
  // first message after it. When it was found stalled is shown beside.
  const times = (disconnect ? watch?.goneMs : watch?.firstDropMs) ?? [];
  const done = times.filter((t) => t >= 0);
  const slowest = Math.max(...done, 0);
  const all = done.length === times.length && times.length > 0;
  const what = disconnect ? "closed" : "trimmed (first drop)";
  const stalled = (watch?.firstStallMs ?? []).filter((t) => t >= 0);
  const foundBy =
    stalled.length === 0
      ? "none found stalled"
      : `${stalled.length} found stalled, slowest after ` +
        `${(Math.max(...stalled) / 1000).toFixed(1)} s`;
  const seen = disconnect
    ? `${row.slowClosed ?? 0} saw the close once they read again`
    : `${foundBy}; ${row.slowGapNotices ?? 0} gap notices read after resuming`;
  const measured =
    `${done.length} of ${times.length} ${what}` +
    (done.length > 0
      ? `, slowest after ${(slowest / 1000).toFixed(1)} s`
      : "") +
    `; deepest slow queue ${watch?.maxSlowQueueDepth ?? 0} messages; ${seen}`;
  const met = all && slowest <= HANDLED_WITHIN_MS;
  return {
    scenario: title,
    goal: `${row.system}: every slow client handled within 5 s`,
    measured,
    verdict: met
      ? "met"
      : done.length === 0
        ? "missed: no slow client was handled during the window"
        : `missed by ${(((slowest - HANDLED_WITHIN_MS) / HANDLED_WITHIN_MS) * 100).toFixed(0)}%`,
  };
}

function memory(
  title: string,
  row: SystemResult,
  base: SystemResult | undefined,
): GoalLine {
  const growth = (r: SystemResult | undefined) =>
    r?.watch === undefined ? 0 : r.watch.maxRssBytes - (r.rssBeforeBytes ?? 0);
  const extra = growth(row) - growth(base);
  const perClient =
    Math.min(
      MAX_QUEUE_BYTES,
      MAX_QUEUE_MESSAGES * (row.frameBytes + MESSAGE_OVERHEAD_BYTES),
    ) + SOCKET_HIGH_WATER_BYTES;
  const bound = perClient * (row.slowClients ?? 0);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return {
    scenario: title,
    goal: `${row.system}: peak RSS above the run without slow clients ≤ the caps`,
    measured: `${mib(extra)} (caps: ${mib(bound)} for ${row.slowClients} clients)`,
    verdict:
      extra <= bound
        ? "met"
        : `missed by ${(((extra - bound) / bound) * 100).toFixed(0)}%`,
  };
}

/**
 * Combines the rounds of a scenario, checks the issue's goals and prints
 * the results as Markdown tables (readable in a terminal, pasted as they
 * are into docs/benchmarks.md).
 */
import { BUCKET_MS, GOALS, type Goal, type Scenario } from "./plan.js";
import type { SystemName } from "./protocol.js";
import { kindOf, type SystemResult } from "./results.js";

/** A goal checked against one scenario's combined results. */
export interface GoalCheck extends Goal {
  /** The subject's metric over the reference's (or minus, for added-ms). */
  readonly ratio: number;
  readonly met: boolean;
  /**
   * Set when the check means nothing: in a latency scenario, a system
   * that could not keep up measured its queue, not its latency.
   */
  readonly inconclusive?: string;
  /** How far the ratio is from the bound, as a share of the bound. */
  readonly margin: number;
}

/** A scenario's rows: per round, and combined over the rounds. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly rounds: readonly (readonly SystemResult[])[];
  readonly combined: readonly SystemResult[];
  readonly goals: readonly GoalCheck[];
  /** Goals checked by a scenario's own code (scenario 5's handling). */
  readonly extraGoals?: readonly GoalLine[];
}

/**
 * One row per system: the best of each measurement over the rounds
 * (highest rate, lowest latency), since other load on the machine only
 * ever makes a number worse; the median RSS, which drifts both ways; the
 * fewest messages left undelivered; the sum of every other integrity
 * count; every warning, marked with its round.
 */
export function combineRounds(
  rounds: readonly (readonly SystemResult[])[],
): SystemResult[] {
  const systems = rounds[0]?.map((r) => r.system) ?? [];
  return systems.map((system) => {
    const rows = rounds.flatMap((round) =>
      round.filter((r) => r.system === system),
    );
    const values = (pick: (r: SystemResult) => number) => rows.map(pick);
    const best = (pick: (r: SystemResult) => number) =>
      Math.max(...values(pick));
    const least = (pick: (r: SystemResult) => number) =>
      Math.min(...values(pick));
    const sum = (pick: (r: SystemResult) => number) =>
      rows.reduce((acc, r) => acc + pick(r), 0);
    const first = rows[0] as SystemResult;
    return {
      ...first,
      loadAfter: rows[rows.length - 1]?.loadAfter,
      deliveriesPerSec: best((r) => r.deliveriesPerSec),
      deliveriesPerCpuSec: best((r) => r.deliveriesPerCpuSec),
      p50Ms: least((r) => r.p50Ms),
      p99Ms: least((r) => r.p99Ms),
      p999Ms: least((r) => r.p999Ms),
      maxMs: least((r) => r.maxMs),
      rssPerConnBytes: median(values((r) => r.rssPerConnBytes)),
      serverCores: best((r) => r.serverCores),
      otherCores: least((r) => r.otherCores),
      feedLagMaxMs: best((r) => r.feedLagMaxMs),
      lost: sum((r) => r.lost),
      // A system that kept up in one round can keep up.
      undelivered: least((r) => r.undelivered),
      duplicates: sum((r) => r.duplicates),
      outOfOrder: sum((r) => r.outOfOrder),
      gapSeqs: sum((r) => r.gapSeqs),
      closedClients: sum((r) => r.closedClients),
      warnings: rows.flatMap((r, i) =>
        r.warnings.map((w) => (rows.length > 1 ? `r${i + 1}: ${w}` : w)),
      ),
    };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Checks the combined rows against the scenario's goals. */
export function checkGoals(
  scenario: Scenario,
  combined: readonly SystemResult[],
): GoalCheck[] {
  const row = (system: SystemName) => combined.find((r) => r.system === system);
  return (scenario.goals ?? GOALS[scenario.kind]).flatMap((goal) => {
    const gateway = row(goal.subject ?? "gateway");
    const reference = row(goal.reference);
    if (reference === undefined || gateway === undefined) return [];
    const ratio =
      goal.mode === "added-ms"
        ? gateway[goal.metric] - reference[goal.metric]
        : gateway[goal.metric] / reference[goal.metric];
    const met =
      goal.direction === "at-least" ? ratio >= goal.bound : ratio <= goal.bound;
    const margin =
      goal.direction === "at-least"
        ? ratio / goal.bound - 1
        : 1 - ratio / goal.bound;
    const behind = [gateway, reference].filter(
      (r) => scenario.kind === "latency" && r.undelivered > 0,
    );
    const inconclusive =
      behind.length === 0
        ? undefined
        : `${behind.map((r) => r.system).join(" and ")} fell behind the load`;
    return [{ ...goal, ratio, met, margin, inconclusive }];
  });
}

const METRIC_NAMES: Readonly<Record<Goal["metric"], string>> = {
  deliveriesPerSec: "deliveries/s",
  deliveriesPerCpuSec: "deliveries per CPU-s",
  p99Ms: "p99",
  p999Ms: "p99.9",
};

/** The Markdown table and goal lines of one scenario. */
export function formatScenario(result: ScenarioResult): string {
  const { scenario, combined, goals } = result;
  const ratioMetric: Goal["metric"] =
    scenario.ratioMetric ??
    (scenario.kind === "saturation" ? "deliveriesPerSec" : "p99Ms");
  const ratioName = METRIC_NAMES[ratioMetric];
  const ref = (system: SystemName) => combined.find((r) => r.system === system);
  const references = (scenario.references ?? ["bare", "naive"]).filter(
    (name) => ref(name) !== undefined,
  );
  const ratio = (row: SystemResult, system: SystemName) => {
    const reference = ref(system);
    return reference === undefined
      ? "-"
      : `${(row[ratioMetric] / reference[ratioMetric]).toFixed(2)}x`;
  };

  const lines = [
    `### ${scenario.title}`,
    "",
    `${offered(scenario)}; ratios are of ${ratioName}.`,
    "",
    "| system | deliveries/s | per CPU-s | p50 ms | p99 ms | p99.9 ms " +
      `| RSS/conn | ${references.map((r) => `x ${r} | `).join("")}` +
      "server CPU | frame B | notes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | " +
      `${references.map(() => "---: | ").join("")}---: | ---: | --- |`,
  ];
  const direct = (row: SystemResult) =>
    kindOf(scenario, row.system) === "direct";
  for (const row of combined) {
    const cells = [
      row.system,
      rate(row.deliveriesPerSec),
      // A direct row has no server process at work.
      direct(row) ? "-" : rate(row.deliveriesPerCpuSec),
      row.p50Ms.toFixed(2),
      row.p99Ms.toFixed(2),
      row.p999Ms.toFixed(2),
      direct(row) ? "-" : `${(row.rssPerConnBytes / 1024).toFixed(1)} KiB`,
      ...references.map((name) => ratio(row, name)),
      `${Math.round(row.serverCores * 100)}%`,
      row.frameBytes.toFixed(0),
      row.warnings.join("; ") || "ok",
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");
  const loads = combined.map(
    (row) => `${row.system} ${row.loadBefore ?? "?"} → ${row.loadAfter ?? "?"}`,
  );
  lines.push(
    `Load average (1, 5, 15 min) before → after: ${loads.join("; ")}.`,
  );
  lines.push("");
  const comparison = compareLine(scenario, combined);
  if (comparison !== undefined) lines.push(comparison, "");
  for (const goal of goals) lines.push(`- ${formatGoal(goal)}`);
  for (const line of result.extraGoals ?? []) {
    lines.push(`- goal: ${line.goal}: ${line.measured}, **${line.verdict}**`);
  }
  return lines.join("\n");
}

/**
 * The proxy scenario's figures: latency added (subject − reference at
 * each percentile), the throughput ratio, and the CPU of the gateway
 * and of the backend (the feed) in both rows.
 */
function compareLine(
  scenario: Scenario,
  combined: readonly SystemResult[],
): string | undefined {
  const names = scenario.compare;
  if (names === undefined) return undefined;
  const subject = combined.find((r) => r.system === names.subject);
  const reference = combined.find((r) => r.system === names.reference);
  if (subject === undefined || reference === undefined) return undefined;
  const added = (pick: (r: SystemResult) => number) => {
    const ms = pick(subject) - pick(reference);
    return `${ms >= 0 ? "+" : ""}${ms.toFixed(2)} ms`;
  };
  const ratio = subject.deliveriesPerSec / reference.deliveriesPerSec;
  const pct = (cores: number) => `${Math.round(cores * 100)}%`;
  return (
    `${names.subject} − ${names.reference}: p50 ${added((r) => r.p50Ms)}, ` +
    `p99 ${added((r) => r.p99Ms)}, p99.9 ${added((r) => r.p999Ms)}; ` +
    `throughput ${ratio.toFixed(2)}× ${names.reference} ` +
    `(deliveries/s); gateway ${pct(subject.serverCores)} of a core, ` +
    `${rate(subject.deliveriesPerCpuSec)} deliveries per CPU-s; backend ` +
    `(feed) ${pct(reference.feedCores)} of a core ${names.reference}, ` +
    `${pct(subject.feedCores)} ${names.subject}.`
  );
}

/** One line of the closing table of goals. */
export interface GoalLine {
  readonly scenario: string;
  readonly goal: string;
  readonly measured: string;
  /** "met", "missed by N%", "inconclusive: why". */
  readonly verdict: string;
}

/** A scenario's goals as lines of the closing table. */
export function goalLines(result: ScenarioResult): GoalLine[] {
  const lines = result.goals.map((goal): GoalLine => {
    const sign = goal.direction === "at-least" ? "≥" : "≤";
    const subject = goal.subject ?? "gateway";
    const name = METRIC_NAMES[goal.metric];
    const added = goal.mode === "added-ms";
    const pct = `${Math.abs(goal.margin * 100).toFixed(0)}%`;
    return {
      scenario: result.scenario.title,
      goal: added
        ? `${subject} ${name} − ${goal.reference} ${sign} ${goal.bound} ms`
        : `${subject} ${name} ${sign} ${goal.bound}× ${goal.reference}`,
      measured: added
        ? `${goal.ratio.toFixed(2)} ms`
        : `${goal.ratio.toFixed(2)}×`,
      verdict:
        goal.inconclusive !== undefined
          ? `inconclusive: ${goal.inconclusive}`
          : goal.met
            ? "met"
            : `missed by ${pct}`,
    };
  });
  return [...lines, ...(result.extraGoals ?? [])];
}

/** The closing table: every goal of the run. */
export function formatGoalTable(lines: readonly GoalLine[]): string {
  const rows = lines.map(
    (l) => `| ${l.scenario} | ${l.goal} | ${l.measured} | ${l.verdict} |`,
  );
  return [
    "### Goals",
    "",
    "| scenario | goal | measured | verdict |",
    "| --- | --- | ---: | --- |",
    ...rows,
  ].join("\n");
}

/** "gateway p99 <= 1.5x bare: 1.21x, met (19% to spare)". */
function formatGoal(goal: GoalCheck): string {
  const sign = goal.direction === "at-least" ? ">=" : "<=";
  const name = METRIC_NAMES[goal.metric];
  const subject = goal.subject ?? "gateway";
  const head =
    goal.mode === "added-ms"
      ? `goal: ${subject} ${name} - ${goal.reference} ${sign} ` +
        `${goal.bound} ms: ${goal.ratio.toFixed(2)} ms`
      : `goal: ${subject} ${name} ${sign} ${goal.bound}x ` +
        `${goal.reference}: ${goal.ratio.toFixed(2)}x`;
  const pct = `${Math.abs(goal.margin * 100).toFixed(0)}%`;
  if (goal.inconclusive !== undefined) {
    return `${head}, **inconclusive**: ${goal.inconclusive}`;
  }
  return goal.met
    ? `${head}, **met** (${pct} to spare)`
    : `${head}, **missed** by ${pct}`;
}

/** What the feed offered, in words. */
function offered(scenario: Scenario): string {
  const { clients, rate: start, rampTo } = scenario;
  if (rampTo === undefined) {
    const burst =
      (scenario.burst ?? 1) > 1 ? ` in bursts of ${scenario.burst}` : "";
    const variants = (scenario.systems ?? [])
      .filter((s) => s.rate !== undefined)
      .map(
        (s) => `; ${s.name}: ${s.rate} msg/s over ${scenario.topics} topics`,
      );
    const window =
      scenario.windowMs === undefined
        ? ""
        : `, ${scenario.windowMs / 1000} s window`;
    return (
      `${clients} clients, feed ${start} msg/s${burst} ` +
      `(${rate(clients * start)} deliveries/s offered)${variants.join("")}` +
      window
    );
  }
  return (
    `${clients} clients, feed ramped ${start} to ${rampTo} msg/s over ` +
    `the window (${rate(clients * start)} to ${rate(clients * rampTo)} ` +
    `deliveries/s offered); deliveries/s is the best ` +
    `${BUCKET_MS / 1000} s, per CPU-s the whole window`
  );
}

/** 1234567 as "1.23M", 45678 as "45.7k". */
function rate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)}M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)}k`;
  return perSec.toFixed(0);
}

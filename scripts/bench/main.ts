/**
 * `npm run bench`: runs the fan-out scenarios of issue 5 against the
 * gateway and the two reference relays side by side, prints the tables
 * and writes the JSON to bench-results/.
 *
 * Flags: `--quick` (three scenarios, about a minute), `--smoke` (every
 * scenario, small), `--rounds=N`, `--only=ID[,ID]`
 * (scenario ids from plan.ts), `--systems=gateway,bare,naive`,
 * `--profile` (V8 CPU profiles of every server process, in
 * bench-results/profiles), `--clients=N` and
 * `--rate=R` (override every scenario), `--from=FILE` (print the tables
 * of an earlier run's JSON again).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { runCapacity } from "./capacity.js";
import { runPipeline } from "./pipeline.js";
import {
  createPlan,
  FANOUT_SYSTEMS,
  type Plan,
  type Scenario,
} from "./plan.js";
import type { SystemSpec } from "./protocol.js";
import {
  checkGoals,
  combineRounds,
  formatGoalTable,
  formatScenario,
  type GoalLine,
  goalLines,
  type ScenarioResult,
} from "./report.js";
import { type SystemResult, summarizeRun } from "./results.js";
import { loadAverage, runSystem } from "./run-system.js";
import type { Section } from "./section.js";
import { slowGoalLines } from "./slow-report.js";

const RESULTS_DIR = "bench-results";
/** Descriptors a process needs beyond one per client. */
const SPARE_DESCRIPTORS = 200;
/** The whole run ends by this, whatever happens. */
const MAX_RUN_MS = { quick: 4 * 60_000, smoke: 10 * 60_000, full: 40 * 60_000 };

interface Options {
  readonly plan: Plan;
  readonly only: ReadonlySet<string> | undefined;
  /** `--systems`: only these rows (by name); undefined for all. */
  readonly systems: ReadonlySet<string> | undefined;
  readonly profileDir: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const mode = argv.includes("--smoke")
    ? "smoke"
    : argv.includes("--quick")
      ? "quick"
      : "full";
  const base = createPlan(mode);
  const rounds = Number(value("rounds") ?? base.rounds);
  const only = value("only");
  const systems = value("systems")?.split(",");
  const clients = Number(value("clients"));
  const rate = Number(value("rate"));
  const scenarios = base.scenarios.map((scenario) => ({
    ...scenario,
    clients: clients > 0 ? Math.floor(clients) : scenario.clients,
    rate: rate > 0 ? rate : scenario.rate,
  }));
  return {
    plan: {
      ...base,
      rounds: Math.max(1, Math.floor(rounds) || 1),
      scenarios,
    },
    only: only === undefined ? undefined : new Set(only.split(",")),
    systems: systems === undefined ? undefined : new Set(systems),
    profileDir: argv.includes("--profile")
      ? join(RESULTS_DIR, "profiles")
      : undefined,
  };
}

/** The soft descriptor limit of this process and so of its children. */
function descriptorLimit(): number {
  const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" });
  const limit = Number(out.trim());
  return Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY;
}

async function runScenario(
  scenario: Scenario,
  options: Options,
): Promise<ScenarioResult> {
  const { timing } = options.plan;
  const rounds = scenario.rounds ?? options.plan.rounds;
  const results: SystemResult[][] = [];
  const specs: SystemSpec[] = (scenario.systems ?? FANOUT_SYSTEMS).filter(
    (spec) => options.systems?.has(spec.name) ?? true,
  );
  const names = specs.map((spec) => spec.name);
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so that drift over the run (heat, other
    // load) does not always favour the same system.
    const order = round % 2 === 0 ? [...specs] : [...specs].reverse();
    const rows: SystemResult[] = [];
    for (const spec of order) {
      const system = spec.name;
      const started = Date.now();
      const raw = await runSystem(scenario, spec, timing, {
        profileDir: options.profileDir,
      });
      const row = summarizeRun(raw, scenario, timing);
      rows.push(row);
      console.error(
        `  ${scenario.id} round ${round + 1} ${system}: ` +
          `${Math.round(row.deliveriesPerSec)} deliveries/s, ` +
          `p99 ${row.p99Ms.toFixed(2)} ms, server ` +
          `${Math.round(row.serverCores * 100)}% ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s, load ` +
          `${row.loadBefore} -> ${row.loadAfter})` +
          (row.warnings.length > 0 ? ` [${row.warnings.join("; ")}]` : ""),
      );
    }
    rows.sort((a, b) => names.indexOf(a.system) - names.indexOf(b.system));
    results.push(rows);
  }
  return resultOf(scenario, results);
}

/** A scenario's rounds combined and checked against its goals. */
function resultOf(
  scenario: Scenario,
  rounds: readonly (readonly SystemResult[])[],
): ScenarioResult {
  const combined = combineRounds(rounds);
  return {
    scenario,
    rounds,
    combined,
    goals: checkGoals(scenario, combined),
    extraGoals: scenario.watch
      ? slowGoalLines(scenario.title, combined)
      : undefined,
  };
}

/**
 * A `halfOf` scenario gets half the rate at which the bare relay
 * saturated in that scenario, when it ran earlier in this run.
 */
function withDerivedRate(
  scenario: Scenario,
  done: readonly ScenarioResult[],
): Scenario {
  const source = done.find((r) => r.scenario.id === scenario.halfOf);
  const bare = source?.combined.find((r) => r.system === "bare");
  if (bare === undefined) return scenario;
  const perClient = bare.deliveriesPerSec / 2 / scenario.clients;
  const rate = Math.max(1, Math.round(perClient));
  return { ...scenario, rate, title: `${scenario.title} x ${rate} msg/s` };
}

/**
 * `--from=FILE`: prints an earlier run's tables again from its JSON,
 * combining its rounds and checking its goals with the current code.
 */
function render(file: string): void {
  const saved = JSON.parse(readFileSync(file, "utf8")) as {
    startedAt: string;
    command: string;
    scenarios: ScenarioResult[];
    sections?: Section[];
  };
  console.log(`\nBench results, ${saved.startedAt}, \`${saved.command}\`\n`);
  const results = saved.scenarios.map((r) => resultOf(r.scenario, r.rounds));
  printResults(results, saved.sections ?? []);
}

/** Every scenario's table, then the closing table of goals. */
function printResults(
  scenarios: readonly ScenarioResult[],
  sections: readonly Section[],
): void {
  const goals: GoalLine[] = [];
  for (const result of scenarios) {
    console.log(`${formatScenario(result)}\n`);
    goals.push(...goalLines(result));
  }
  for (const section of sections) {
    console.log(`${section.markdown}\n`);
    goals.push(...section.goals);
  }
  if (goals.length > 0) console.log(`${formatGoalTable(goals)}\n`);
}

async function main(): Promise<void> {
  const from = process.argv.find((a) => a.startsWith("--from="));
  if (from !== undefined) {
    render(from.slice("--from=".length));
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  const { plan } = options;
  setTimeout(() => {
    console.error("bench: the run took too long; giving up");
    process.exit(1);
  }, MAX_RUN_MS[plan.mode]).unref();

  const limit = descriptorLimit();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    descriptorLimit: limit,
  };
  const startedAt = new Date();
  console.error(
    `bench: ${plan.mode} mode, ${plan.rounds} round(s), ` +
      `${machine.cpus} cores, ulimit -n ${limit}, load ${loadAverage()}`,
  );

  const scenarios: ScenarioResult[] = [];
  const skipped: string[] = [];
  for (const scenario of plan.scenarios) {
    if (options.only !== undefined && !options.only.has(scenario.id)) continue;
    if (scenario.clients + SPARE_DESCRIPTORS > limit) {
      skipped.push(`${scenario.id}: needs ${scenario.clients} descriptors`);
      continue;
    }
    const resolved = withDerivedRate(scenario, scenarios);
    scenarios.push(await runScenario(resolved, options));
  }
  const sections: Section[] = [];
  const wanted = (id: string) => options.only?.has(id) ?? true;
  if (plan.capacity !== undefined && wanted("capacity")) {
    const { clients } = plan.capacity;
    if (clients + SPARE_DESCRIPTORS > limit) {
      skipped.push(`capacity: needs ${clients} descriptors`);
    } else {
      sections.push(await runCapacity(plan, plan.capacity, options.profileDir));
    }
  }
  if (plan.pipeline !== undefined && wanted("pipeline")) {
    sections.push(await runPipeline(plan, plan.pipeline, options.profileDir));
  }

  const command = ["npm run bench", ...process.argv.slice(2)].join(" ");
  console.log(
    `\nBench results, ${startedAt.toISOString()}, \`${command}\` ` +
      `(${plan.mode}, ${plan.rounds} round(s), window ` +
      `${plan.timing.windowMs / 1000} s), ${machine.cpus} x ` +
      `${machine.cpuModel}, Node ${machine.node}\n`,
  );
  printResults(scenarios, sections);
  const minutes = (Date.now() - startedAt.getTime()) / 60_000;
  console.log(`Run took ${minutes.toFixed(1)} min.`);
  for (const line of skipped) console.log(`skipped ${line}`);
  console.log(`Load average at the end: ${loadAverage()}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const file = join(RESULTS_DIR, `bench-${plan.mode}-${stamp}.json`);
  const finishedAt = new Date();
  const json = {
    startedAt,
    finishedAt,
    command,
    machine,
    plan,
    scenarios,
    sections,
    skipped,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`JSON: ${file}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});

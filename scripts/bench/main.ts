/**
 * `npm run bench`: runs the fan-out scenarios of issue 5 against the
 * gateway and the two reference relays side by side, prints the tables
 * and writes the JSON to bench-results/.
 *
 * Flags: `--quick` (about a minute), `--rounds=N`, `--only=ID[,ID]`
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
import { createPlan, type Plan, type Scenario } from "./plan.js";
import { SYSTEMS, type SystemName } from "./protocol.js";
import {
  checkGoals,
  combineRounds,
  formatScenario,
  type ScenarioResult,
} from "./report.js";
import { type SystemResult, summarizeRun } from "./results.js";
import { runSystem } from "./run-system.js";

const RESULTS_DIR = "bench-results";
/** Descriptors a process needs beyond one per client. */
const SPARE_DESCRIPTORS = 200;
/** The whole run ends by this, whatever happens. */
const MAX_RUN_MS = { quick: 5 * 60_000, full: 20 * 60_000 };

interface Options {
  readonly plan: Plan;
  readonly only: ReadonlySet<string> | undefined;
  readonly systems: readonly SystemName[];
  readonly profileDir: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const base = createPlan(argv.includes("--quick"));
  const rounds = Number(value("rounds") ?? base.rounds);
  const only = value("only");
  const systems = value("systems")?.split(",") ?? SYSTEMS;
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
    systems: SYSTEMS.filter((s) => systems.includes(s)),
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
  const { timing, rounds } = options.plan;
  const results: SystemResult[][] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so that drift over the run (heat, other
    // load) does not always favour the same system.
    const { systems } = options;
    const order = round % 2 === 0 ? [...systems] : [...systems].reverse();
    const rows: SystemResult[] = [];
    for (const system of order) {
      const started = Date.now();
      const raw = await runSystem(scenario, system, timing, {
        profileDir: options.profileDir,
      });
      const row = summarizeRun(raw, scenario, timing);
      rows.push(row);
      console.error(
        `  ${scenario.id} round ${round + 1} ${system}: ` +
          `${Math.round(row.deliveriesPerSec)} deliveries/s, ` +
          `p99 ${row.p99Ms.toFixed(2)} ms, server ` +
          `${Math.round(row.serverCores * 100)}% ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s)` +
          (row.warnings.length > 0 ? ` [${row.warnings.join("; ")}]` : ""),
      );
    }
    rows.sort((a, b) => SYSTEMS.indexOf(a.system) - SYSTEMS.indexOf(b.system));
    results.push(rows);
  }
  const combined = combineRounds(results);
  return {
    scenario,
    rounds: results,
    combined,
    goals: checkGoals(scenario, combined),
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
  };
  console.log(`\nBench results, ${saved.startedAt}, \`${saved.command}\`\n`);
  for (const { scenario, rounds } of saved.scenarios) {
    const combined = combineRounds(rounds);
    const goals = checkGoals(scenario, combined);
    console.log(`${formatScenario({ scenario, rounds, combined, goals })}\n`);
  }
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
      `${machine.cpus} cores, ulimit -n ${limit}`,
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

  const command = ["npm run bench", ...process.argv.slice(2)].join(" ");
  console.log(
    `\nBench results, ${startedAt.toISOString()}, \`${command}\` ` +
      `(${plan.mode}, ${plan.rounds} round(s), window ` +
      `${plan.timing.windowMs / 1000} s), ${machine.cpus} x ` +
      `${machine.cpuModel}, Node ${machine.node}\n`,
  );
  for (const result of scenarios) console.log(`${formatScenario(result)}\n`);
  for (const line of skipped) console.log(`skipped ${line}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const file = join(RESULTS_DIR, `bench-${plan.mode}-${stamp}.json`);
  const json = { startedAt, command, machine, plan, scenarios, skipped };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`JSON: ${file}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});

/**
 * Scenario 8, pipeline cost: four feeds with 25% duplicates into the
 * gateway's ingest path (sources, codec, active-active group, dedupe by
 * id, the topic graph; no clients) and into the same logic as plain
 * callbacks. The server's CPU is read from /proc every second of the
 * window; a second's cost per frame is its CPU over the frames the
 * schedule sent in it, and the scenario compares the medians.
 */
import { ChildChannel } from "./channel.js";
import { clockMs, sleepUntil } from "./clock.js";
import type { PipelinePlan, Plan } from "./plan.js";
import { processCpuMs } from "./proc-cpu.js";
import type { CountsReport, MemoryReport, SystemSpec } from "./protocol.js";
import { loadAverage } from "./run-system.js";
import { atLeast, atMost, type Section } from "./section.js";

/** The columns of this scenario's table. */
const PIPELINE_COLUMNS = [
  "system",
  "median µs/frame",
  "slices µs/frame",
  "server CPU",
  "frames",
  "unique",
  "heap start",
  "heap end",
  "notes",
];

const STARTUP_MS = 15_000;
const LEAD_MS = 300;
const SLICE_MS = 1000;
const SYSTEMS: readonly SystemSpec[] = [
  { name: "gateway", kind: "pipeline-gateway" },
  { name: "callbacks", kind: "pipeline-callbacks" },
];

interface PipelineRow {
  readonly system: string;
  /** µs of server CPU per frame, per slice of the window. */
  readonly costsUs: readonly number[];
  readonly medianUs: number;
  readonly cores: number;
  readonly heapStart: number;
  readonly heapEnd: number;
  readonly counts: CountsReport;
  readonly sent: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

/** Runs scenario 8 for both ingest paths. */
export async function runPipeline(
  plan: Plan,
  pipeline: PipelinePlan,
  profileDir: string | undefined,
): Promise<Section> {
  const runs: PipelineRow[] = [];
  const rounds = Math.max(plan.rounds, pipeline.rounds);
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, as the other scenarios do.
    const order = round % 2 === 0 ? [...SYSTEMS] : [...SYSTEMS].reverse();
    for (const spec of order) {
      const row = await runOne(pipeline, spec, profileDir);
      console.error(
        `  pipeline round ${round + 1} ${spec.name}: median ` +
          `${row.medianUs.toFixed(2)} µs/frame, ${row.counts.frames} ` +
          `frames, ${row.counts.unique} unique ` +
          `(load ${row.loadBefore} -> ${row.loadAfter})`,
      );
      runs.push(row);
    }
  }
  // Other load only ever adds cost: each system's cheapest round counts.
  const rows = SYSTEMS.flatMap((spec) => {
    const mine = runs.filter((r) => r.system === spec.name);
    mine.sort((a, b) => a.medianUs - b.medianUs);
    return mine.slice(0, 1);
  });
  return section(rows, runs, pipeline);
}

async function runOne(
  pipeline: PipelinePlan,
  spec: SystemSpec,
  profileDir: string | undefined,
): Promise<PipelineRow> {
  const { rate, warmupMs, windowMs } = pipeline;
  const loadBefore = loadAverage();
  const maxMs = warmupMs + windowMs + 60_000;
  const flags = ["--expose-gc"];
  const serverFlags =
    profileDir === undefined
      ? flags
      : [...flags, "--cpu-prof", `--cpu-prof-dir=${profileDir}`];
  const feed = new ChildChannel("pipeline-feed", "./pipeline-feed.ts", {
    nodeFlags: flags,
    maxMs,
  });
  const server = new ChildChannel("server", "./server.ts", {
    args: [`pipeline-${spec.name}`],
    nodeFlags: serverFlags,
    maxMs,
  });
  const memory = async () => {
    server.send({ type: "memory" });
    return server.next<MemoryReport>("memory", STARTUP_MS);
  };
  try {
    const { urls } = await feed.next<{ type: string; urls: string[] }>(
      "listening",
      STARTUP_MS,
    );
    server.send({ type: "start", feedUrl: "", feedUrls: urls, spec });
    await server.next("listening", STARTUP_MS);
    for (const _ of urls) await feed.next("upstream", STARTUP_MS);

    const startAt = clockMs() + LEAD_MS;
    const windowStart = startAt + warmupMs;
    const endAt = windowStart + windowMs;
    feed.send({ type: "run", startAt, rate, endAt });
    await sleepUntil(windowStart - 200);
    const heapStart = (await memory()).heapUsedBytes;

    await sleepUntil(windowStart);
    const costsUs: number[] = [];
    let cpuTotal = 0;
    let previous = processCpuMs(server.pid) ?? 0;
    let sliceStart = clockMs();
    while (clockMs() + SLICE_MS <= endAt + 5) {
      await sleepUntil(sliceStart + SLICE_MS);
      const now = clockMs();
      const cpu = processCpuMs(server.pid) ?? previous;
      const frames = ((now - sliceStart) * rate) / 1000;
      costsUs.push(((cpu - previous) * 1000) / frames);
      cpuTotal += cpu - previous;
      previous = cpu;
      sliceStart = now;
    }
    const { sent } = await feed.next<{ type: string; sent: number }>(
      "feed-report",
      STARTUP_MS,
    );
    // Let the last frames through before counting them.
    await sleepUntil(clockMs() + 300);
    server.send({ type: "counts" });
    const counts = await server.next<CountsReport>("counts", STARTUP_MS);
    const heapEnd = (await memory()).heapUsedBytes;
    return {
      system: spec.name,
      costsUs,
      medianUs: median(costsUs),
      cores: cpuTotal / (costsUs.length * SLICE_MS),
      heapStart,
      heapEnd,
      counts,
      sent,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    server.send({ type: "stop" });
    await server.close(5000);
    await feed.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Dedupe memory may grow this much over the window and count as flat. */
const FLAT_SLACK = 0.05;

function section(
  rows: readonly PipelineRow[],
  runs: readonly PipelineRow[],
  { rate, windowMs }: PipelinePlan,
): Section {
  const rounds = runs.length / SYSTEMS.length;
  const title = "8. pipeline cost, four feeds, 25% duplicates";
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const lines = [
    `### ${title}`,
    "",
    `${rate} frames/s over 4 feeds (${rate * 0.75} unique ids/s), ` +
      `${windowMs / 1000} s window in ${SLICE_MS / 1000} s slices; no ` +
      "clients. Cost is server CPU (from /proc, 10 ms ticks) per frame; " +
      `each row is the cheapest of ${rounds} round(s) (medians of all: ` +
      `${runs.map((r) => `${r.system} ${r.medianUs.toFixed(1)}`).join(", ")}).`,
    "",
    `| ${PIPELINE_COLUMNS.join(" | ")} |`,
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const expected = Math.floor(r.sent * 0.75);
    const notes = [
      r.counts.frames < r.sent
        ? `${r.sent - r.counts.frames} frames not read`
        : "",
      Math.abs(r.counts.unique - expected) > 4
        ? `DEDUPE: ${r.counts.unique} unique, expected ${expected}`
        : "",
      `load ${r.loadBefore} → ${r.loadAfter}`,
    ].filter((n) => n !== "");
    lines.push(
      `| ${r.system} | ${r.medianUs.toFixed(2)} | ` +
        `${r.costsUs.map((c) => c.toFixed(1)).join(" ")} | ` +
        `${(r.cores * 100).toFixed(0)}% | ${r.counts.frames} | ` +
        `${r.counts.unique} | ${mib(r.heapStart)} | ${mib(r.heapEnd)} | ` +
        `${notes.join("; ")} |`,
    );
  }
  const gateway = rows.find((r) => r.system === "gateway");
  const callbacks = rows.find((r) => r.system === "callbacks");
  const goals = [];
  if (gateway !== undefined && callbacks !== undefined) {
    const ratio = callbacks.medianUs / gateway.medianUs;
    const added = gateway.medianUs - callbacks.medianUs;
    const growth = gateway.heapEnd / gateway.heapStart;
    goals.push(
      {
        scenario: title,
        goal: "gateway ingest ≥ 0.8× plain callbacks (frames per CPU-s)",
        measured: `${ratio.toFixed(2)}×`,
        verdict: atLeast(ratio, 0.8),
      },
      {
        scenario: title,
        goal: "median added cost per message < 1 µs",
        measured: `${added.toFixed(2)} µs`,
        verdict: atMost(added, 1),
      },
      {
        scenario: title,
        goal: `dedupe memory flat over the run (heap within ${FLAT_SLACK * 100}%)`,
        measured:
          `${growth.toFixed(3)}× (${mib(gateway.heapStart)} → ` +
          `${mib(gateway.heapEnd)})`,
        verdict: atMost(growth, 1 + FLAT_SLACK),
      },
    );
  }
  lines.push("");
  for (const goal of goals) {
    lines.push(`- goal: ${goal.goal}: ${goal.measured}, **${goal.verdict}**`);
  }
  return { id: "pipeline", markdown: lines.join("\n"), goals, data: runs };
}

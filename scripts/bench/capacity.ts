/**
 * Scenario 4, capacity and memory: as many idle clients as the plan says
 * (19,000 in the full run), RSS per connection against the bare relay,
 * the server's idle CPU, then a share of the clients closing and
 * reconnecting evenly over a few seconds, and the heap (after a
 * collection) compared with what it was before the churn.
 */
import { ChildChannel } from "./channel.js";
import { clockMs, sleepUntil } from "./clock.js";
import type { CapacityPlan, Plan } from "./plan.js";
import { processCpuMs } from "./proc-cpu.js";
import type {
  ChurnReport,
  MemoryReport,
  SubscriberReady,
  SystemSpec,
} from "./protocol.js";
import { loadAverage, sourceAddresses, split } from "./run-system.js";
import { atLeast, atMost, type Section } from "./section.js";

/** The columns of this scenario's table. */
const CAPACITY_COLUMNS = [
  "system",
  "connected",
  "connect s",
  "RSS/conn",
  "idle CPU",
  "reconnected",
  "last back after",
  "heap before churn",
  "heap after",
  "notes",
];

const STARTUP_MS = 15_000;
/** Closed sessions finish their timers before the heap is read again. */
const SETTLE_MS = 2000;
const SYSTEMS: readonly SystemSpec[] = [
  { name: "gateway", kind: "gateway" },
  { name: "bare", kind: "bare" },
];

/** What one system measured. */
interface CapacityRow {
  readonly system: string;
  readonly connected: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly rssPerConnBytes: number;
  readonly idleCores: number;
  readonly heapBeforeChurn: number;
  readonly heapAfterChurn: number;
  readonly reconnected: number;
  readonly churnFailed: number;
  readonly lastReadyMs: number;
  readonly connectSeconds: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

/** Runs scenario 4 for the gateway and the bare relay. */
export async function runCapacity(
  plan: Plan,
  capacity: CapacityPlan,
  profileDir: string | undefined,
): Promise<Section> {
  const rows: CapacityRow[] = [];
  for (const spec of SYSTEMS) {
    const row = await runOne(plan, capacity, spec, profileDir);
    console.error(
      `  capacity ${spec.name}: ${row.connected} connected, ` +
        `${(row.rssPerConnBytes / 1024).toFixed(1)} KiB/conn, idle ` +
        `${(row.idleCores * 100).toFixed(1)}%, ${row.reconnected} ` +
        `reconnected (load ${row.loadBefore} -> ${row.loadAfter})`,
    );
    rows.push(row);
  }
  return section(capacity, rows);
}

async function runOne(
  plan: Plan,
  capacity: CapacityPlan,
  spec: SystemSpec,
  profileDir: string | undefined,
): Promise<CapacityRow> {
  const { clients, idleMs, churnClients, churnMs } = capacity;
  const loadBefore = loadAverage();
  const maxMs = clients * 10 + churnMs + idleMs + 120_000;
  const children: ChildChannel[] = [];
  const spawn = (name: string, file: string, args: string[] = []) => {
    const flags = ["--expose-gc"];
    if (name === "server" && profileDir !== undefined) {
      flags.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
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
  const server = spawn("server", "./server.ts", [spec.name]);
  const memory = async () => {
    server.send({ type: "memory" });
    return server.next<MemoryReport>("memory", STARTUP_MS);
  };
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
    await feed.next("upstream", STARTUP_MS);
    const before = await memory();

    const shares = split(clients, plan.timing.subscribers);
    const churnShares = split(churnClients, plan.timing.subscribers);
    const subscribers = shares.map(() =>
      spawn("subscriber", "./subscriber.ts"),
    );
    const localAddresses = sourceAddresses(clients + churnClients);
    const connectStart = clockMs();
    subscribers.forEach((subscriber, i) => {
      subscriber.send({
        type: "connect",
        url,
        clients: shares[i],
        localAddresses,
        awaitSubscribed: spec.kind === "gateway",
      });
    });
    const ready = await Promise.all(
      subscribers.map((s) =>
        s.next<SubscriberReady>("ready", STARTUP_MS + clients * 5),
      ),
    );
    const connectSeconds = (clockMs() - connectStart) / 1000;
    const after = await memory();

    const cpu0 = processCpuMs(server.pid) ?? 0;
    const wall0 = clockMs();
    await sleepUntil(wall0 + idleMs);
    const idleCores =
      ((processCpuMs(server.pid) ?? 0) - cpu0) / (clockMs() - wall0);

    subscribers.forEach((subscriber, i) => {
      subscriber.send({
        type: "churn",
        clients: churnShares[i],
        overMs: churnMs,
      });
    });
    const churned = await Promise.all(
      subscribers.map((s) =>
        s.next<ChurnReport>("churned", churnMs + STARTUP_MS * 2),
      ),
    );
    await sleepUntil(clockMs() + SETTLE_MS);
    await memory();
    const afterChurn = await memory();
    const connected = ready.reduce((sum, r) => sum + r.connected, 0);
    return {
      system: spec.name,
      connected,
      failed: ready.reduce((sum, r) => sum + r.failed, 0),
      firstError: ready.find((r) => r.firstError)?.firstError,
      rssPerConnBytes: (after.rssBytes - before.rssBytes) / connected,
      idleCores,
      heapBeforeChurn: after.heapUsedBytes,
      heapAfterChurn: afterChurn.heapUsedBytes,
      reconnected: churned.reduce((sum, r) => sum + r.reconnected, 0),
      churnFailed: churned.reduce((sum, r) => sum + r.failed, 0),
      lastReadyMs: Math.max(...churned.map((r) => r.lastReadyMs)),
      connectSeconds,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    server.send({ type: "stop" });
    await server.close(5000);
    await Promise.all(children.map((child) => child.close()));
  }
}

/** Heap after the churn may exceed its baseline by this share. */
const HEAP_SLACK = 0.02;

function section(
  capacity: CapacityPlan,
  rows: readonly CapacityRow[],
): Section {
  const { clients, churnClients, churnMs, idleMs } = capacity;
  const title = `4. capacity, ${clients.toLocaleString("en")} idle clients`;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const lines = [
    `### ${title}`,
    "",
    `${clients} clients over ${sourceAddresses(clients + churnClients).length} ` +
      `source addresses; idle CPU over ${idleMs / 1000} s; then ` +
      `${churnClients} clients close and reconnect evenly over ` +
      `${churnMs / 1000} s; heap after gc, ${SETTLE_MS / 1000} s after the churn.`,
    "",
    `| ${CAPACITY_COLUMNS.join(" | ")} |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const notes = [
      r.failed > 0 ? `${r.failed} failed to connect (${r.firstError})` : "",
      r.churnFailed > 0 ? `${r.churnFailed} failed to reconnect` : "",
      `load ${r.loadBefore} → ${r.loadAfter}`,
    ].filter((n) => n !== "");
    lines.push(
      `| ${r.system} | ${r.connected} | ${r.connectSeconds.toFixed(1)} | ` +
        `${(r.rssPerConnBytes / 1024).toFixed(1)} KiB | ` +
        `${(r.idleCores * 100).toFixed(1)}% | ${r.reconnected} | ` +
        `${(r.lastReadyMs / 1000).toFixed(1)} s | ${mib(r.heapBeforeChurn)} | ` +
        `${mib(r.heapAfterChurn)} | ${notes.join("; ")} |`,
    );
  }
  const gateway = rows.find((r) => r.system === "gateway");
  const bare = rows.find((r) => r.system === "bare");
  const goals = [];
  if (gateway !== undefined && bare !== undefined) {
    const ratio = gateway.rssPerConnBytes / bare.rssPerConnBytes;
    goals.push({
      scenario: title,
      goal: "gateway RSS per connection ≤ 1.5× bare",
      measured: `${ratio.toFixed(2)}×`,
      verdict: atMost(ratio, 1.5),
    });
  }
  if (gateway !== undefined) {
    const heapRatio = gateway.heapAfterChurn / gateway.heapBeforeChurn;
    goals.push(
      {
        scenario: title,
        goal: "gateway idle CPU < 5% of a core",
        measured: `${(gateway.idleCores * 100).toFixed(1)}%`,
        verdict: atMost(gateway.idleCores, 0.05),
      },
      {
        scenario: title,
        goal: `every client reconnected (${churnClients} in ${churnMs / 1000} s)`,
        measured:
          `${gateway.reconnected} of ${churnClients}, last after ` +
          `${(gateway.lastReadyMs / 1000).toFixed(1)} s`,
        verdict: atLeast(gateway.reconnected, churnClients),
      },
      {
        scenario: title,
        goal: `heap back to its baseline after the churn (within ${HEAP_SLACK * 100}%)`,
        measured:
          `${heapRatio.toFixed(3)}× (${mib(gateway.heapBeforeChurn)} → ` +
          `${mib(gateway.heapAfterChurn)})`,
        verdict: atMost(heapRatio, 1 + HEAP_SLACK),
      },
    );
  }
  lines.push("");
  for (const goal of goals)
    lines.push(`- goal: ${goal.goal}: ${goal.measured}, **${goal.verdict}**`);
  return { id: "capacity", markdown: lines.join("\n"), goals, data: rows };
}

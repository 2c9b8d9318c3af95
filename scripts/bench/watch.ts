/**
 * Scenario 5, inside the gateway's server process: follows the sessions
 * of the clients that stopped reading through the control plane's client
 * list (queue depth, drops, whether the session is still there) and
 * samples the process's memory, so that the run can say when each slow
 * client was handled and whether memory stayed bounded.
 */
import type { Gateway } from "../../src/gateway/index.js";
import { clockMs, sleepUntil } from "./clock.js";
import type { ServerCommand, WatchReport } from "./protocol.js";

const POLL_MS = 250;

type WatchCommand = Extract<ServerCommand, { type: "watch" }>;

/** Polls until `untilAt`; every time is ms after `fromAt`. */
export async function watchSlowClients(
  gateway: Gateway,
  command: WatchCommand,
): Promise<WatchReport> {
  const slow = new Map(command.slow.map((address, i) => [address, i]));
  const firstDropMs = command.slow.map(() => -1);
  const firstStallMs = command.slow.map(() => -1);
  const goneMs = command.slow.map(() => -1);
  const dropped = command.slow.map(() => 0);
  let maxSlowQueueDepth = 0;
  let healthyDropped = 0;
  let maxRssBytes = 0;
  let maxHeapBytes = 0;
  await sleepUntil(command.fromAt);
  while (clockMs() < command.untilAt) {
    const at = clockMs() - command.fromAt;
    const present = new Set<number>();
    healthyDropped = 0;
    for (const client of gateway.control.listClients()) {
      const i = slow.get(client.remoteAddress);
      if (i === undefined) {
        healthyDropped += client.dropped;
        continue;
      }
      present.add(i);
      dropped[i] = client.dropped;
      maxSlowQueueDepth = Math.max(maxSlowQueueDepth, client.queueDepth);
      if (client.dropped > 0 && firstDropMs[i] === -1) firstDropMs[i] = at;
      if (client.stalled && firstStallMs[i] === -1) firstStallMs[i] = at;
    }
    for (let i = 0; i < goneMs.length; i++) {
      if (!present.has(i) && goneMs[i] === -1) goneMs[i] = at;
    }
    const { rss, heapUsed } = process.memoryUsage();
    maxRssBytes = Math.max(maxRssBytes, rss);
    maxHeapBytes = Math.max(maxHeapBytes, heapUsed);
    await sleepUntil(clockMs() + POLL_MS);
  }
  return {
    type: "watch-report",
    firstDropMs,
    firstStallMs,
    goneMs,
    maxSlowQueueDepth,
    slowDropped: dropped.reduce((a, b) => a + b, 0),
    healthyDropped,
    maxRssBytes,
    maxHeapBytes,
  };
}

/**
 * The open-loop upstream feed: a `ws` server that the system under test
 * connects to as its only source. It sends a fixed schedule, each message
 * stamped with its sequence number and its planned send time, and never
 * waits for the receiver: a stall downstream shows up as latency instead
 * of slowing the feed down.
 */
import * as hdr from "hdr-histogram-js";
import { type WebSocket, WebSocketServer } from "ws";
import {
  boundLifetime,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs } from "./clock.js";
import { feedFrame, relayFrame } from "./frames.js";
import type { FeedReport, FeedRun } from "./protocol.js";
import { plannedTimes } from "./schedule.js";

function main(): void {
  boundLifetime("feed", maxMsFromArgv(120_000));
  const upstreams = new Set<WebSocket>();
  let connections = 0;
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: false,
  });
  wss.on("listening", () => {
    const { port } = wss.address() as { port: number };
    sendToParent({ type: "listening", url: `ws://127.0.0.1:${port}` });
  });
  wss.on("connection", (socket) => {
    upstreams.add(socket);
    connections++;
    socket.on("close", () => upstreams.delete(socket));
    socket.on("error", () => upstreams.delete(socket));
    sendToParent({ type: "upstream", count: upstreams.size });
  });
  onCommand<FeedRun>("feed", async (run) => {
    const report = await sendSchedule(run, upstreams);
    const done = { ...report, connections };
    sendToParent(done satisfies FeedReport);
  });
}

const TEXT = { binary: false } as const;

/** Message n of `run`, built once for every socket. */
function frameOf(run: FeedRun, n: number, plannedAt: number): Buffer {
  const upstream = Buffer.from(feedFrame(n, plannedAt, run.schedule.topics));
  if (run.clientFrames !== true) return upstream;
  return relayFrame(upstream, n) ?? upstream;
}

/** Sends every message of `run` as close to its planned time as it can. */
function sendSchedule(
  run: FeedRun,
  upstreams: ReadonlySet<WebSocket>,
): Promise<Omit<FeedReport, "connections">> {
  const lag = hdr.build({ highestTrackableValue: 60_000_000 });
  const times = plannedTimes(run.schedule);
  const total = times.length;
  const plannedAt = (n: number) => times[n - 1] as number;
  let next = 1;
  let maxBufferedBytes = 0;

  return new Promise((resolve) => {
    const tick = () => {
      // Catch up on everything due: an open-loop feed never skips.
      const now = clockMs();
      while (next <= total && plannedAt(next) <= now) {
        const frame = frameOf(run, next, plannedAt(next));
        for (const socket of upstreams) socket.send(frame, TEXT);
        lag.recordValue(Math.round((clockMs() - plannedAt(next)) * 1000));
        next++;
      }
      for (const socket of upstreams) {
        maxBufferedBytes = Math.max(maxBufferedBytes, socket.bufferedAmount);
      }
      if (next > total) {
        resolve({
          type: "feed-report",
          sent: next - 1,
          lagP99Ms: lag.getValueAtPercentile(99) / 1000,
          lagMaxMs: lag.maxValue / 1000,
          maxBufferedBytes,
        });
        return;
      }
      setTimeout(tick, Math.max(0, plannedAt(next) - clockMs()));
    };
    setTimeout(tick, Math.max(0, plannedAt(1) - clockMs()));
  });
}

main();

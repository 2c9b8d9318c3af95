/**
 * A subscriber process: holds a share of the clients, subscribes each to
 * the bench topic the way the gateway's JSON protocol asks, and reports
 * what its clients received (see DeliveryTracker).
 */
import * as hdr from "hdr-histogram-js";
import { WebSocket } from "ws";
import {
  boundLifetime,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs, sleepUntil } from "./clock.js";
import {
  BENCH_TOPIC,
  type SubscriberCommand,
  type SubscriberReady,
  type SubscriberReport,
} from "./protocol.js";
import { DeliveryTracker } from "./tracker.js";

/** Handshakes in flight at once; more overflow the server's backlog. */
const CONNECT_CONCURRENCY = 64;
const CONNECT_TIMEOUT_MS = 15_000;
/** How often the end of a run is checked for. */
const POLL_MS = 20;

const SUBSCRIBE = JSON.stringify({
  type: "subscribe",
  id: "1",
  topics: [BENCH_TOPIC],
});

type ConnectCommand = Extract<SubscriberCommand, { type: "connect" }>;
type MeasureCommand = Extract<SubscriberCommand, { type: "measure" }>;

const tracker = new DeliveryTracker();
const closedByCode: Record<string, number> = {};
let reporting = false;

function main(): void {
  boundLifetime("subscriber", maxMsFromArgv(120_000));
  onCommand<SubscriberCommand>("subscriber", async (command) => {
    if (command.type === "connect") {
      sendToParent(await connectAll(command));
    } else {
      sendToParent(await measure(command));
    }
  });
}

/** Opens every client, a few at a time. */
async function connectAll(command: ConnectCommand): Promise<SubscriberReady> {
  let next = 0;
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < command.clients) {
      const index = next++;
      try {
        await connectOne(command, index);
        connected++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  const workers = Array.from({ length: CONNECT_CONCURRENCY }, worker);
  await Promise.all(workers);
  return { type: "ready", connected, failed, firstError };
}

/** Resolves once the client is open (and subscribed, for the gateway). */
function connectOne(command: ConnectCommand, index: number): Promise<void> {
  const { localAddresses } = command;
  const socket = new WebSocket(command.url, {
    perMessageDeflate: false,
    // Identical for every system, and it keeps the client side cheap.
    skipUTF8Validation: true,
    localAddress: localAddresses[index % localAddresses.length],
  });
  const log = tracker.addClient();

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`client ${index}: not ready in time`));
    }, CONNECT_TIMEOUT_MS);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on("message", (data) => {
      const kind = log.onFrame(data as Buffer);
      if (kind === "subscribed") ready();
    });
    socket.once("open", () => {
      socket.send(SUBSCRIBE);
      if (!command.awaitSubscribed) ready();
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", (code) => {
      if (reporting) return;
      closedByCode[code] = (closedByCode[code] ?? 0) + 1;
    });
  });
}

/** Tracks the run until every message arrived or `stopAt`. */
async function measure(command: MeasureCommand): Promise<SubscriberReport> {
  tracker.start(command);
  while (!tracker.complete && clockMs() < command.stopAt) {
    await sleepUntil(Math.min(command.stopAt, clockMs() + POLL_MS));
  }
  reporting = true;

  const { lost, undelivered } = tracker.missing();
  return {
    type: "subscriber-report",
    clients: tracker.clients,
    deliveredInWindow: tracker.deliveredInWindow,
    buckets: tracker.buckets,
    histogram: hdr.encodeIntoCompressedBase64(tracker.histogram),
    minLatencyMs: tracker.minLatencyMs,
    lost,
    undelivered,
    duplicates: tracker.duplicates,
    outOfOrder: tracker.outOfOrder,
    gapNotices: tracker.gapNotices,
    gapSeqs: tracker.gapSeqs,
    closedByCode,
    bytes: tracker.bytes,
    frames: tracker.frames,
  };
}

main();

/**
 * A subscriber process: holds a share of the clients, subscribes each to
 * the bench topic the way the gateway's JSON protocol asks, and reports
 * what its clients received (see DeliveryTracker).
 */

import type { Socket } from "node:net";
import { WebSocket } from "ws";
import {
  boundLifetime,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs, sleepUntil } from "./clock.js";
import { type FrameKind, frameKind } from "./frames.js";
import {
  BENCH_TOPIC,
  type ChurnReport,
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

const SUBSCRIBE = subscribeFrame([BENCH_TOPIC]);
/** Exact topics, beside one wildcard, of a client in the many-topic run. */
const TOPICS_PER_CLIENT = 10;

function subscribeFrame(topics: readonly string[]): string {
  return JSON.stringify({ type: "subscribe", id: "1", topics });
}

/** What a client that stops reading saw once it read again. */
const slow = { frames: 0, gapNotices: 0, closed: 0, reading: true };
const slowSockets: WebSocket[] = [];
/** Every healthy client's socket, for a churn. */
const sockets: WebSocket[] = [];
let lastConnect: ConnectCommand | undefined;

type ConnectCommand = Extract<SubscriberCommand, { type: "connect" }>;
type MeasureCommand = Extract<SubscriberCommand, { type: "measure" }>;
type ChurnCommand = Extract<SubscriberCommand, { type: "churn" }>;

const tracker = new DeliveryTracker();
const closedByCode: Record<string, number> = {};
let reporting = false;

function main(): void {
  boundLifetime("subscriber", maxMsFromArgv(120_000));
  onCommand<SubscriberCommand>("subscriber", async (command) => {
    if (command.type === "connect") {
      lastConnect = command;
      sendToParent(await connectAll(command));
    } else if (command.type === "churn") {
      sendToParent(await churn(command));
    } else {
      sendToParent(await measure(command));
    }
  });
}

/** Opens every client, a few at a time; the slow ones after the rest. */
async function connectAll(command: ConnectCommand): Promise<SubscriberReady> {
  const slowCount = command.slow ?? 0;
  const total = command.clients + slowCount;
  let next = 0;
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  const slowAddresses: string[] = [];
  const worker = async () => {
    while (next < total) {
      const index = next++;
      try {
        const socket = await connectOne(
          command,
          index,
          index >= command.clients,
        );
        if (index >= command.clients) {
          slowSockets.push(socket);
          slowAddresses.push(localAddressOf(socket));
        } else {
          sockets.push(socket);
        }
        connected++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  const workers = Array.from({ length: CONNECT_CONCURRENCY }, worker);
  await Promise.all(workers);
  return { type: "ready", connected, failed, firstError, slowAddresses };
}

/**
 * Scenario 4: closes `clients` of the open clients one after another,
 * evenly over `overMs`, each opening a new connection at once, and
 * reports how many were ready again and when the last one was.
 */
async function churn(command: ChurnCommand): Promise<ChurnReport> {
  const connect = lastConnect as ConnectCommand;
  const startedAt = clockMs();
  let reconnected = 0;
  let failed = 0;
  let lastReadyMs = 0;
  let firstError: string | undefined;
  const pending: Promise<void>[] = [];
  const count = Math.min(command.clients, sockets.length);
  for (let i = 0; i < count; i++) {
    await sleepUntil(startedAt + (i * command.overMs) / count);
    sockets[i]?.close();
    const index = connect.clients + (connect.slow ?? 0) + i;
    pending.push(
      connectOne(connect, index, false).then(
        (socket) => {
          sockets[i] = socket;
          reconnected++;
          lastReadyMs = clockMs() - startedAt;
        },
        (err: unknown) => {
          failed++;
          firstError ??= (err as Error).message;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { type: "churned", reconnected, failed, lastReadyMs, firstError };
}

/** `address:port` of a client's end, as the server sees its peer. */
function localAddressOf(socket: WebSocket): string {
  const raw = (socket as unknown as { _socket: Socket })._socket;
  return `${raw.localAddress}:${raw.localPort}`;
}

/**
 * The subscribe frame of one client: the bench topic, or in the many-topic
 * run 10 random topics and the wildcard of a random group of ten, which
 * `member` marks as the topics the client must receive.
 */
function subscription(topics: number, member: Uint8Array | undefined): string {
  if (member === undefined) return SUBSCRIBE;
  const names: string[] = [];
  for (let i = 0; i < TOPICS_PER_CLIENT; i++) {
    const k = Math.floor(Math.random() * topics);
    member[k] = 1;
    names.push(`bench.g${Math.floor(k / 10)}.t${k % 10}`);
  }
  const group = Math.floor((Math.random() * topics) / 10);
  for (let k = group * 10; k < Math.min(topics, group * 10 + 10); k++) {
    member[k] = 1;
  }
  names.push(`bench.g${group}.*`);
  return subscribeFrame(names);
}

/** Resolves once the client is open (and subscribed, for the gateway). */
function connectOne(
  command: ConnectCommand,
  index: number,
  isSlow: boolean,
): Promise<WebSocket> {
  const { localAddresses } = command;
  const socket = new WebSocket(command.url, {
    perMessageDeflate: false,
    // Identical for every system, and it keeps the client side cheap.
    skipUTF8Validation: true,
    localAddress: localAddresses[index % localAddresses.length],
  });
  const topics = command.topics ?? 0;
  const member = topics > 1 ? new Uint8Array(topics) : undefined;
  const frame = subscription(topics, member);
  const log = isSlow ? slowLog() : tracker.addClient(member);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`client ${index}: not ready in time`));
    }, CONNECT_TIMEOUT_MS);
    const ready = () => {
      clearTimeout(timer);
      resolve(socket);
    };
    socket.on("message", (data) => {
      const kind = log.onFrame(data as Buffer);
      if (kind === "subscribed") ready();
    });
    socket.once("open", () => {
      socket.send(frame);
      if (!command.awaitSubscribed) ready();
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", (code) => {
      if (isSlow) slow.closed++;
      if (reporting || isSlow) return;
      closedByCode[code] = (closedByCode[code] ?? 0) + 1;
    });
  });
}

/**
 * A slow client's frames: counted only once it reads again, since it
 * takes no part in the latency and integrity checks.
 */
function slowLog(): { onFrame(frame: Buffer): FrameKind } {
  return {
    onFrame: (frame) => {
      const kind = frameKind(frame);
      if (!slow.reading) {
        slow.frames++;
        if (kind === "gap") slow.gapNotices++;
      }
      return kind;
    },
  };
}

/**
 * Tracks the run until every message arrived or `stopAt`. Slow clients
 * stop reading for the window and read what is left after it.
 */
async function measure(command: MeasureCommand): Promise<SubscriberReport> {
  tracker.start(command);
  if (slowSockets.length > 0) {
    void sleepUntil(command.windowStart).then(() => {
      for (const socket of slowSockets) socket.pause();
    });
    void sleepUntil(command.windowEnd).then(() => {
      slow.reading = false;
      for (const socket of slowSockets) socket.resume();
    });
  }
  while (
    (!tracker.complete ||
      (slowSockets.length > 0 && clockMs() < command.windowEnd + 1000)) &&
    clockMs() < command.stopAt
  ) {
    await sleepUntil(Math.min(command.stopAt, clockMs() + POLL_MS));
  }
  reporting = true;

  return {
    ...tracker.report(closedByCode),
    slowFrames: slow.frames,
    slowGapNotices: slow.gapNotices,
    slowClosed: slow.closed,
  };
}

main();

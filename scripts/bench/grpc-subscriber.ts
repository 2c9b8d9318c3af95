/**
 * Scenario 7's subscriber process: its share of the clients as
 * StreamService Subscribe calls spread over several channels (separate
 * HTTP/2 connections). Responses are not decoded: the feed's stamps are
 * read straight out of the bytes (a response may carry several events),
 * the same cheap way for the gateway and the bare gRPC server.
 */
import { Client, type ClientReadableStream, credentials } from "@grpc/grpc-js";
import { SubscribeRequest } from "../../src/gen/tributary/v1/stream.js";
import {
  boundLifetime,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs, sleepUntil } from "./clock.js";
import { StampReader } from "./frames.js";
import {
  BENCH_TOPIC,
  type SubscriberCommand,
  type SubscriberReady,
  type SubscriberReport,
} from "./protocol.js";
import { DeliveryTracker } from "./tracker.js";

/** Channels per subscriber process. */
const CHANNELS = 4;
const POLL_MS = 20;
/** Calls are registered by the server this long after they start. */
const SETTLE_MS = 1000;
const PATH = "/tributary.v1.StreamService/Subscribe";
const STAMP = Buffer.from('{"n":');

type ConnectCommand = Extract<SubscriberCommand, { type: "connect" }>;
type MeasureCommand = Extract<SubscriberCommand, { type: "measure" }>;

const tracker = new DeliveryTracker();
const reader = new StampReader(STAMP);
const calls: ClientReadableStream<Buffer>[] = [];
let closed = 0;
let reporting = false;
let bytes = 0;
let frames = 0;

function main(): void {
  boundLifetime("grpc-subscriber", maxMsFromArgv(120_000));
  onCommand<SubscriberCommand>("grpc-subscriber", async (command) => {
    if (command.type === "connect") sendToParent(await connectAll(command));
    else if (command.type === "measure") sendToParent(await measure(command));
  });
}

async function connectAll(command: ConnectCommand): Promise<SubscriberReady> {
  const channels = Array.from(
    { length: CHANNELS },
    (_, i) =>
      new Client(command.url, credentials.createInsecure(), {
        // A pool of its own per client: otherwise grpc-js shares one
        // connection between clients of the same target.
        "grpc.use_local_subchannel_pool": 1,
        "grpc.channel_id": i,
        "grpc.max_receive_message_length": -1,
      }),
  );
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    channels.map(
      (channel) =>
        new Promise<void>((resolve) =>
          channel.waitForReady(Date.now() + 10_000, (err) => {
            if (err !== undefined && err !== null) {
              failed++;
              firstError ??= err.message;
            }
            resolve();
          }),
        ),
    ),
  );
  const request = SubscribeRequest.encode({
    patterns: [BENCH_TOPIC],
    resume: {},
    maxBatch: 0,
    policy: 0,
  }).finish();
  for (let i = 0; i < command.clients; i++) {
    const channel = channels[i % CHANNELS] as Client;
    const log = tracker.addClient();
    const call = channel.makeServerStreamRequest(
      PATH,
      () => Buffer.from(request),
      (value: Buffer) => value,
      {},
    );
    call.on("data", (data: Buffer) => {
      if (log.seen === undefined) return;
      frames++;
      bytes += data.length;
      let from = 0;
      while (reader.read(data, from)) {
        log.onStamp(reader.n, reader.plannedAt);
        from = reader.end;
      }
    });
    call.on("error", (err) => {
      if (reporting) return;
      closed++;
      firstError ??= err.message;
    });
    calls.push(call);
  }
  await sleepUntil(clockMs() + SETTLE_MS);
  return {
    type: "ready",
    connected: command.clients - closed,
    failed: failed + closed,
    firstError,
  };
}

async function measure(command: MeasureCommand): Promise<SubscriberReport> {
  tracker.start(command);
  while (!tracker.complete && clockMs() < command.stopAt) {
    await sleepUntil(Math.min(command.stopAt, clockMs() + POLL_MS));
  }
  reporting = true;
  // gRPC subscribers read raw responses and decode no gap events.
  return {
    ...tracker.report(closed > 0 ? { grpc: closed } : {}),
    gapNotices: 0,
    gapSeqs: 0,
    bytes,
    frames,
  };
}

main();

/**
 * The bare gRPC reference of scenario 7: a grpc-js server with the
 * gateway's StreamService/Subscribe signature that encodes each upstream
 * message once as a `SubscribeResponse` of one event and writes those
 * same bytes to every open call. No patterns, queue or flow-control
 * policy: the cheapest server-streaming fan-out grpc-js allows.
 */
import {
  Server,
  ServerCredentials,
  type ServerWritableStream,
} from "@grpc/grpc-js";
import { WebSocket } from "ws";
import {
  StreamServiceService,
  type SubscribeRequest,
  SubscribeResponse,
} from "../../src/gen/tributary/v1/stream.js";
import type { RunningSystem } from "./systems.js";

type Call = ServerWritableStream<SubscribeRequest, Buffer>;

const DATA_FIELD = Buffer.from('"data":');
const EPOCH = "relay-0000001";

/** The Subscribe method, its response already serialized. */
const SERVICE = {
  subscribe: {
    ...StreamServiceService.subscribe,
    responseSerialize: (value: Buffer): Buffer => value,
  },
};

/** Starts the bare gRPC relay in front of `feedUrl`. */
export async function startGrpcRelay(feedUrl: string): Promise<RunningSystem> {
  const calls = new Set<Call>();
  const server = new Server();
  server.addService(SERVICE, {
    subscribe: (call: Call) => {
      calls.add(call);
      const forget = () => calls.delete(call);
      call.on("cancelled", forget);
      call.on("close", forget);
      call.on("error", forget);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      "127.0.0.1:0",
      ServerCredentials.createInsecure(),
      (err, bound) => (err === null ? resolve(bound) : reject(err)),
    );
  });

  let seq = 0;
  const upstream = new WebSocket(feedUrl, { perMessageDeflate: false });
  upstream.on("message", (data) => {
    const bytes = encode(data as Buffer, ++seq);
    if (bytes === undefined) return;
    for (const call of calls) call.write(bytes);
  });
  await new Promise<void>((resolve, reject) => {
    upstream.once("open", resolve);
    upstream.once("error", reject);
  });

  return {
    url: `127.0.0.1:${port}`,
    stop: async () => {
      upstream.terminate();
      for (const call of calls) call.end();
      server.forceShutdown();
    },
  };
}

/** One upstream frame as the bytes of a SubscribeResponse. */
function encode(upstream: Buffer, seq: number): Buffer | undefined {
  const at = upstream.indexOf(DATA_FIELD);
  if (at < 0) return undefined;
  const data = upstream.subarray(at + DATA_FIELD.length, upstream.length - 1);
  const message = {
    topic: "bench.fanout",
    seq,
    epoch: EPOCH,
    timeMs: 0,
    ingestTimeMs: Date.now(),
    source: "feed",
    key: "",
    data,
    contentType: "application/json",
  };
  const response = {
    events: [{ event: { $case: "message" as const, value: message } }],
  };
  return Buffer.from(SubscribeResponse.encode(response).finish());
}

import {
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type { Command } from "commander";
import { WebSocket } from "ws";
import {
  type StreamEvent,
  StreamServiceClient,
} from "../gen/tributary/v1/stream.js";
import { streamEventToJson } from "../serve/grpc/index.js";
import { formatFrame, type GatewayFrame } from "./tap-format.js";

interface TapFlags {
  url: string;
  /** host:port of the gateway's gRPC server; subscribes over gRPC. */
  grpc?: string;
  /** Bearer token for --grpc; defaults to $TRIBUTARY_TOKEN. */
  token?: string;
  json?: boolean;
  count?: string;
}

/** Exit code when the gateway refuses the subscription. */
const EXIT_REFUSED = 2;

/** Statuses that mean the gateway refused what we asked for. */
const REFUSALS: ReadonlySet<number> = new Set([
  status.INVALID_ARGUMENT,
  status.RESOURCE_EXHAUSTED,
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
]);

export function registerTapCommand(program: Command): void {
  program
    .command("tap")
    .description("subscribe to topics on a gateway and print each message")
    .argument("<pattern...>", "topics or patterns, e.g. 'trades.*' 'book.>'")
    .option(
      "-u, --url <url>",
      "gateway WebSocket URL",
      "ws://127.0.0.1:8080/ws",
    )
    .option(
      "--grpc <host:port>",
      "subscribe over gRPC StreamService instead, e.g. 127.0.0.1:50051",
    )
    .option("--token <token>", "bearer token for --grpc ($TRIBUTARY_TOKEN)")
    .option("--json", "print every frame as raw JSON, one a line")
    .option("-n, --count <n>", "exit after this many messages")
    .action((patterns: string[], flags: TapFlags) => tap(patterns, flags));
}

function tap(patterns: string[], flags: TapFlags): void {
  const limit = flags.count === undefined ? Infinity : Number(flags.count);
  if (!(limit > 0)) {
    process.stderr.write("--count must be a positive number\n");
    process.exit(EXIT_REFUSED);
  }
  if (flags.grpc === undefined) tapWebSocket(patterns, flags, limit);
  else tapGrpc(patterns, flags.grpc, flags, limit);
}

/** Prints one JSON frame as tap does and returns it parsed. */
function printFrame(text: string, flags: TapFlags): GatewayFrame {
  const frame = JSON.parse(text) as GatewayFrame;
  if (flags.json) {
    process.stdout.write(`${text}\n`);
  } else {
    const line = formatFrame(frame);
    const stream = line.stream === "out" ? process.stdout : process.stderr;
    stream.write(`${line.text}\n`);
  }
  return frame;
}

function tapWebSocket(patterns: string[], flags: TapFlags, limit: number) {
  const socket = new WebSocket(flags.url, "tributary.v1.json");
  let received = 0;

  socket.on("open", () => {
    socket.send(
      JSON.stringify({ type: "subscribe", id: "tap", topics: patterns }),
    );
  });
  socket.on("message", (data) => {
    const frame = printFrame(data.toString(), flags);
    if (frame.type === "error" && frame.id === "tap") {
      socket.close();
      process.exitCode = EXIT_REFUSED;
    }
    if (frame.type === "message" && ++received >= limit) {
      socket.close(1000);
    }
  });
  socket.on("error", (err) => {
    process.stderr.write(`cannot connect to ${flags.url}: ${err.message}\n`);
    process.exitCode = 1;
  });
  socket.on("close", (code, reason) => {
    if (received < limit && process.exitCode === undefined) {
      const why = reason.length > 0 ? `: ${reason.toString()}` : "";
      process.stderr.write(`gateway closed the connection (${code}${why})\n`);
      process.exitCode = 1;
    }
  });
  process.once("SIGINT", () => {
    process.exitCode = 0;
    socket.close(1000);
  });
}

/**
 * The same as over WebSocket, through StreamService.Subscribe: each event
 * is printed as the JSON frame a WebSocket client would have got, and
 * the response headers stand for `subscribed`.
 */
function tapGrpc(
  patterns: string[],
  addr: string,
  flags: TapFlags,
  limit: number,
) {
  const client = new StreamServiceClient(addr, credentials.createInsecure());
  const call = client.subscribe(
    { patterns, resume: {}, maxBatch: 0, policy: 0 },
    bearerMetadata(flags.token ?? process.env.TRIBUTARY_TOKEN),
  );
  let received = 0;
  let subscribed = false;
  let done = false;
  const finish = () => {
    done = true;
    call.cancel();
    client.close();
  };

  call.on("metadata", () => {
    subscribed = true;
    const frame = { type: "subscribed", id: "tap", topics: patterns };
    printFrame(JSON.stringify(frame), flags);
  });
  call.on("data", (response: { events: StreamEvent[] }) => {
    for (const event of response.events) {
      if (done) return;
      const json = streamEventToJson(event);
      if (json === undefined) continue;
      const frame = printFrame(json.toString(), flags);
      if (frame.type === "message" && ++received >= limit) finish();
    }
  });
  call.on("error", (err: ServiceError) => {
    if (done) return;
    done = true;
    client.close();
    process.exitCode = reportGrpcError(err, subscribed ? undefined : addr);
  });
  call.on("end", () => {
    if (done) return;
    process.stderr.write("gateway ended the stream\n");
    process.exitCode = 1;
    client.close();
  });
  process.once("SIGINT", () => {
    process.exitCode = 0;
    finish();
  });
}

function bearerMetadata(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined && token !== "") {
    metadata.set("authorization", `Bearer ${token}`);
  }
  return metadata;
}

/**
 * Prints why the stream failed and returns the exit code; `addr` while
 * still connecting, undefined once the subscription was in place.
 */
function reportGrpcError(err: ServiceError, addr: string | undefined): number {
  const code = status[err.code] ?? String(err.code);
  if (addr !== undefined && err.code === status.UNAVAILABLE) {
    process.stderr.write(`cannot connect to ${addr}: ${err.details}\n`);
    return 1;
  }
  if (addr === undefined) {
    process.stderr.write(
      `gateway ended the stream (${code}: ${err.details})\n`,
    );
    return 1;
  }
  process.stderr.write(`error ${code}: ${err.details}\n`);
  return REFUSALS.has(err.code) ? EXIT_REFUSED : 1;
}

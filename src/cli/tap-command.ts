import type { Command } from "commander";
import { WebSocket } from "ws";
import { formatFrame, type GatewayFrame } from "./tap-format.js";

interface TapFlags {
  url: string;
  json?: boolean;
  count?: string;
}

/** Exit code when the gateway refuses the subscription. */
const EXIT_REFUSED = 2;

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
  const socket = new WebSocket(flags.url, "tributary.v1.json");
  let received = 0;

  socket.on("open", () => {
    socket.send(
      JSON.stringify({ type: "subscribe", id: "tap", topics: patterns }),
    );
  });
  socket.on("message", (data) => {
    const text = data.toString();
    const frame = JSON.parse(text) as GatewayFrame;
    if (flags.json) {
      process.stdout.write(`${text}\n`);
    } else {
      const line = formatFrame(frame);
      const stream = line.stream === "out" ? process.stdout : process.stderr;
      stream.write(`${line.text}\n`);
    }
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

import type { Command } from "commander";
import { startDemo } from "../demo/index.js";
import { shutdownTracing } from "../telemetry/index.js";
import {
  addLogOptions,
  type LogFlags,
  loggerFromFlags,
} from "./log-options.js";
import { describeStartupError, runUntilSignal } from "./run-until-signal.js";

interface DemoFlags extends LogFlags {
  port: string;
  rate: string;
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command("demo")
    .description(
      "start two simulated trade feeds in different formats and a gateway " +
        "that merges them",
    )
    .option("-p, --port <port>", "gateway port", "8080")
    .option("--rate <n>", "trades per second over all symbols", "20");
  addLogOptions(command).action(async (flags: DemoFlags) => {
    const logger = loggerFromFlags(flags);
    const port = Number(flags.port);
    const rate = Number(flags.rate);
    if (!Number.isInteger(port) || port < 0 || !(rate > 0)) {
      process.stderr.write("--port must be a port number and --rate > 0\n");
      process.exit(2);
    }

    let demo: Awaited<ReturnType<typeof startDemo>>;
    try {
      demo = await startDemo({ port, logger, tradesPerSecond: rate });
    } catch (err) {
      process.stderr.write(
        `demo failed to start: ${describeStartupError(err)}\n`,
      );
      process.exit(1);
    }
    const { address, port: actual } = demo.gateway.address;
    const url = `ws://${address}:${actual}/ws`;
    const tapUrl = actual === 8080 ? "" : ` --url ${url}`;
    process.stderr.write(
      [
        "",
        "Tributary demo",
        `  feed alpha  ${demo.alpha.url}  one trade a frame, drops ~8% of trades`,
        `  feed beta   ${demo.beta.url}  batched trades, restarts every 15 s`,
        `  gateway     ${url}  group "trades": active-active, dedupe by id`,
        "",
        "Watch the merged stream (every trade once) in another terminal:",
        `  npx tributary tap 'trades.>'${tapUrl}`,
        "",
        "",
      ].join("\n"),
    );
    runUntilSignal(logger, async () => {
      await demo.stop();
      await shutdownTracing();
    });
  });
}

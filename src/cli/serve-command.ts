import type { Command } from "commander";
import { ConfigError, loadConfigFile } from "../config/index.js";
import { Gateway } from "../gateway/index.js";
import { StateFileError } from "../state/index.js";
import { shutdownTracing } from "../telemetry/index.js";
import {
  addLogOptions,
  type LogFlags,
  loggerFromFlags,
} from "./log-options.js";
import { describeStartupError, runUntilSignal } from "./run-until-signal.js";

interface ServeFlags extends LogFlags {
  config: string;
  dataDir: string;
  port?: string;
  host?: string;
}

/** Exit code for a config that cannot be used. */
export const EXIT_CONFIG = 2;

export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description("run the gateway from a YAML or JSON config file")
    .requiredOption("-c, --config <file>", "config file (YAML or JSON)")
    .option("-p, --port <port>", "override server.port")
    .option("--host <host>", "override server.host")
    .option(
      "--data-dir <dir>",
      "where control-plane changes persist (state.json)",
      "./data",
    );
  addLogOptions(command).action(async (flags: ServeFlags) => {
    const logger = loggerFromFlags(flags);
    let config: Awaited<ReturnType<typeof loadConfigFile>>;
    try {
      config = await loadConfigFile(flags.config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    const port = flags.port === undefined ? undefined : Number(flags.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0)) {
      process.stderr.write(
        `--port must be a port number, not "${flags.port}"\n`,
      );
      process.exit(EXIT_CONFIG);
    }
    const server = {
      ...config.server,
      host: flags.host ?? config.server.host,
      port: port ?? config.server.port,
    };

    const gateway = new Gateway({ ...config, server }, logger, {
      dataDir: flags.dataDir,
      configLabel: flags.config,
    });
    try {
      await gateway.start();
    } catch (err) {
      if (err instanceof ConfigError || err instanceof StateFileError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(EXIT_CONFIG);
      }
      logger.fatal({ err }, describeStartupError(err));
      await gateway.stop().catch(() => {});
      process.exit(1);
    }
    // Tracing ends after the gateway, so its last spans are exported.
    runUntilSignal(logger, async () => {
      await gateway.stop();
      await shutdownTracing();
    });
  });
}

import type { Command } from "commander";
import { createLogger, type Logger } from "../telemetry/index.js";

/** Logging flags shared by the long-running commands. */
export interface LogFlags {
  logLevel?: string;
  logFormat?: "json" | "pretty";
}

export function addLogOptions(command: Command): Command {
  return command
    .option(
      "--log-level <level>",
      "trace, debug, info, warn or error (default: LOG_LEVEL, else info)",
    )
    .option(
      "--log-format <format>",
      "json or pretty (default: pretty in a terminal, json otherwise)",
    );
}

export function loggerFromFlags(flags: LogFlags): Logger {
  const format = flags.logFormat;
  if (format !== undefined && format !== "json" && format !== "pretty") {
    throw new Error(`--log-format must be json or pretty, not "${format}"`);
  }
  return createLogger({ level: flags.logLevel, format });
}

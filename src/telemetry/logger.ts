import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level; default `info`, or `LOG_LEVEL` from the environment. */
  readonly level?: string;
  /**
   * `json` writes one JSON object a line (the default when stdout is not a
   * terminal); `pretty` writes readable lines through pino-pretty.
   */
  readonly format?: "json" | "pretty";
  /** Where JSON lines go; default stdout. Ignored for `pretty`. */
  readonly destination?: NodeJS.WritableStream;
}

/** Creates the root logger; components take child loggers from it. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  const format = options.format ?? (process.stdout.isTTY ? "pretty" : "json");
  if (format === "pretty") {
    return pino({
      level,
      transport: {
        target: "pino-pretty",
        options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  const destination = options.destination ?? process.stdout;
  return pino({ level, base: { pid: process.pid } }, destination);
}

/** A logger that drops everything, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}

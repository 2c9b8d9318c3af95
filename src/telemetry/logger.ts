import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * pino level (`trace` … `fatal`, or `silent`); default `LOG_LEVEL` from
   * the environment, else `info`. An explicit level from config or a flag
   * wins over `LOG_LEVEL`.
   */
  readonly level?: string;
  /**
   * `json` writes one JSON object a line (the default when stdout is not a
   * terminal); `pretty` writes readable lines through pino-pretty.
   */
  readonly format?: "json" | "pretty";
  /** Where JSON lines go; default stdout. Ignored for `pretty`. */
  readonly destination?: NodeJS.WritableStream;
}

/** The trace fields a log line carries inside a span. */
export interface TraceFields {
  /** 32 lowercase hex digits. */
  readonly trace_id: string;
  /** 16 lowercase hex digits. */
  readonly span_id: string;
  /** `01` when the span is sampled, `00` otherwise. */
  readonly trace_flags: string;
}

/**
 * Creates the root logger; components take child loggers from it. Inside
 * an active OpenTelemetry span every line carries `trace_id`, `span_id`
 * and `trace_flags`, so a log search can jump to the trace.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  const format = options.format ?? (process.stdout.isTTY ? "pretty" : "json");
  if (format === "pretty") {
    return pino({
      level,
      mixin: traceFields,
      transport: {
        target: "pino-pretty",
        options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  const destination = options.destination ?? process.stdout;
  return pino(
    { level, base: { pid: process.pid }, mixin: traceFields },
    destination,
  );
}

/** A logger that drops everything, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}

/**
 * The active span's ids, or nothing outside a span. pino calls this for
 * every line written (not for lines below the level), so it does no more
 * than one context lookup when there is no span.
 *
 * Always a new object: pino merges each line's fields into what the mixin
 * returns, so a shared empty object would carry every line's fields into
 * all the lines after it.
 */
export function traceFields(): TraceFields | Record<string, never> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, "0"),
  };
}

import { Writable } from "node:stream";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { startTracing, type Tracing } from "../../src/telemetry/index.js";

export { waitFor } from "../support/wait-for.js";

/** The SDK started globally with every span kept in memory. */
export interface MemoryTracing {
  readonly exporter: InMemorySpanExporter;
  readonly tracing: Tracing;
  /** Finished spans named `name`, oldest first. */
  spans(name: string): ReadableSpan[];
}

/** Starts tracing into an InMemorySpanExporter; shut it down after. */
export async function startMemoryTracing(
  instrumentGrpc = false,
): Promise<MemoryTracing> {
  const exporter = new InMemorySpanExporter();
  const tracing = await startTracing({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    instrumentGrpc,
  });
  return {
    exporter,
    tracing,
    spans: (name) =>
      exporter.getFinishedSpans().filter((span) => span.name === name),
  };
}

/** The parent span id of a span, "" for a root span. */
export function parentOf(span: ReadableSpan): string {
  return span.parentSpanContext?.spanId ?? "";
}

/**
 * The value of the Prometheus sample `name` whose labels include every one
 * of `labels`; undefined when there is none.
 */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = parseLabels(match[2] ?? "");
    const all = Object.entries(labels).every(([k, v]) => found[k] === v);
    if (all) return Number(match[3]);
  }
  return undefined;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1] ?? ""] = match[2] ?? "";
  }
  return labels;
}

/** A writable that parses each JSON line written to it into `lines`. */
export function jsonLines(): {
  stream: Writable;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) {
        if (line.trim() !== "") lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { stream, lines };
}

/**
 * Calls `read` until it resolves to `want` (by deep equality of JSON), or
 * fails after `timeoutMs` with the last value it read.
 */
export async function waitForValue<T>(
  what: string,
  read: () => Promise<T>,
  want: T,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wanted = JSON.stringify(want);
  let last: unknown;
  for (;;) {
    try {
      last = await read();
    } catch (err) {
      last = err;
    }
    if (JSON.stringify(last) === wanted) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last ${String(
          JSON.stringify(last) ?? last,
        )}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

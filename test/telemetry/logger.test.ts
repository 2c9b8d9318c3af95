import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { createLogger, traceFields } from "../../src/telemetry/index.js";
import {
  jsonLines,
  type MemoryTracing,
  startMemoryTracing,
} from "./helpers.js";

const tracer = () => trace.getTracer("test");

describe("createLogger", () => {
  let memory: MemoryTracing;
  before(async () => {
    memory = await startMemoryTracing();
  });
  after(() => memory.tracing.shutdown());

  it("puts trace_id and span_id on a line written inside a span", () => {
    const { stream, lines } = jsonLines();
    const log = createLogger({ format: "json", destination: stream });
    const tracer = trace.getTracer("test");

    let ids = { traceId: "", spanId: "" };
    tracer.startActiveSpan("work", (span) => {
      ids = span.spanContext();
      log.child({ component: "x" }).info({ n: 1 }, "inside");
      span.end();
    });

    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, "inside");
    assert.equal(lines[0]?.trace_id, ids.traceId);
    assert.equal(lines[0]?.span_id, ids.spanId);
    assert.equal(lines[0]?.trace_flags, "01");
    assert.match(String(lines[0]?.trace_id), /^[0-9a-f]{32}$/);
  });

  it("keeps the span's ids across an await inside the span", async () => {
    const { stream, lines } = jsonLines();
    const log = createLogger({ format: "json", destination: stream });
    const tracer = trace.getTracer("test");

    const traceId = await tracer.startActiveSpan("async", async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      log.warn("after await");
      span.end();
      return span.spanContext().traceId;
    });

    assert.equal(lines[0]?.trace_id, traceId);
  });

  it("carries no field of one line into the next", () => {
    const { stream, lines } = jsonLines();
    const log = createLogger({ format: "json", destination: stream });

    log.info({ from: "down", to: "up" }, "first");
    log.info({ port: 8080 }, "second");
    tracer().startActiveSpan("work", (span) => {
      log.info({ inside: true }, "third");
      span.end();
    });
    log.info("fourth");

    assert.deepEqual(
      lines.map(({ msg, from, port, inside, trace_id }) => ({
        msg,
        from,
        port,
        inside,
        traced: trace_id !== undefined,
      })),
      [
        {
          msg: "first",
          from: "down",
          port: undefined,
          inside: undefined,
          traced: false,
        },
        {
          msg: "second",
          from: undefined,
          port: 8080,
          inside: undefined,
          traced: false,
        },
        {
          msg: "third",
          from: undefined,
          port: undefined,
          inside: true,
          traced: true,
        },
        {
          msg: "fourth",
          from: undefined,
          port: undefined,
          inside: undefined,
          traced: false,
        },
      ],
    );
  });

  it("writes no trace fields outside a span", () => {
    const { stream, lines } = jsonLines();
    const log = createLogger({ format: "json", destination: stream });

    log.info("outside");

    assert.equal(lines.length, 1);
    assert.equal("trace_id" in (lines[0] ?? {}), false);
    assert.equal("span_id" in (lines[0] ?? {}), false);
    assert.deepEqual(traceFields(), {});
  });

  it("takes its level from LOG_LEVEL unless one is given", () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "warn";
    try {
      const { stream, lines } = jsonLines();
      const fromEnv = createLogger({ format: "json", destination: stream });
      fromEnv.info("dropped");
      fromEnv.warn("kept");
      const given = createLogger({ level: "debug", format: "json" });

      assert.equal(fromEnv.level, "warn");
      assert.deepEqual(
        lines.map((l) => l.msg),
        ["kept"],
      );
      assert.equal(given.level, "debug");
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });

  it("refuses an unknown level", () => {
    assert.throws(() => createLogger({ level: "loud", format: "json" }));
  });
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import WebSocket from "ws";
import { parseConfig } from "../../src/config/index.js";
import { Fanout } from "../../src/serve/index.js";
import { WsGateway } from "../../src/serve/ws/index.js";
import { SourceConnection } from "../../src/sources/index.js";
import {
  createSilentLogger,
  GatewayTelemetry,
  recordFailover,
  SessionSpans,
  SourceConnectSpans,
} from "../../src/telemetry/index.js";
import { TopicGraph } from "../../src/topics/index.js";
import { sourceConfig } from "../sources/helpers.js";
import { TestUpstream } from "../support/upstream.js";
import {
  type MemoryTracing,
  parentOf,
  startMemoryTracing,
  waitFor,
} from "./helpers.js";

let memory: MemoryTracing;
before(async () => {
  memory = await startMemoryTracing();
});
after(() => memory.tracing.shutdown());
afterEach(() => memory.exporter.reset());

describe("SourceConnectSpans", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  /** A real connection whose health drives the spans. */
  function connect(url: string, spans: SourceConnectSpans): SourceConnection {
    const config = sourceConfig(url, { id: "feed-a" });
    const connection = new SourceConnection(config, {
      logger: createSilentLogger(),
    });
    connection.health.subscribe((h) => spans.observe("feed-a", url, h));
    stops.push(() => connection.stop());
    return connection;
  }

  it("makes one span per attempt: failures, then the connect", async () => {
    const upstream = new TestUpstream();
    await upstream.start();
    const port = upstream.port;
    await upstream.stop();
    const url = `ws://user:secret@127.0.0.1:${port}/feed?key=k`;
    const connection = connect(url, new SourceConnectSpans());

    connection.start();
    await waitFor("two failed attempts", () => {
      return memory.spans("source.connect").length >= 2;
    });
    const revived = new TestUpstream();
    await revived.start(port);
    stops.push(() => revived.stop());
    await waitFor("the connected attempt", () =>
      memory
        .spans("source.connect")
        .some((s) => s.attributes["tributary.connect.outcome"] === "connected"),
    );

    const spans = memory.spans("source.connect");
    const [first, second] = spans;
    const last = spans.at(-1);
    assert.ok(first && second && last);
    assert.equal(first.kind, SpanKind.CLIENT);
    assert.equal(first.attributes["tributary.source.id"], "feed-a");
    assert.equal(first.attributes["url.full"], `ws://127.0.0.1:${port}/feed`);
    assert.equal(first.attributes["tributary.connect.attempt"], 1);
    assert.equal(first.attributes["tributary.connect.outcome"], "failed");
    assert.equal(first.status.code, SpanStatusCode.ERROR);
    assert.match(String(first.attributes["tributary.reason"]), /refused/);
    assert.equal(
      typeof first.attributes["tributary.connect.retry_in_ms"],
      "number",
    );
    assert.equal(second.attributes["tributary.connect.attempt"], 2);
    // A retry is a new trace that links back to the attempt before it.
    assert.notEqual(second.spanContext().traceId, first.spanContext().traceId);
    assert.equal(second.links[0]?.context.spanId, first.spanContext().spanId);
    assert.equal(last.attributes["tributary.connect.attempt"], spans.length);
    assert.equal(last.status.code, SpanStatusCode.UNSET);
  });

  it("puts the first attempt under the span active when it starts", () => {
    const spans = new SourceConnectSpans();
    const tracer = trace.getTracer("test");

    const parent = tracer.startActiveSpan("AddSource", (span) => {
      spans.observe("s", "ws://h/x", { state: "connecting", reason: "start" });
      span.end();
      return span.spanContext();
    });
    spans.observe("s", "ws://h/x", { state: "up", reason: "connected" });

    const [span] = memory.spans("source.connect");
    assert.ok(span);
    assert.equal(span.spanContext().traceId, parent.traceId);
    assert.equal(parentOf(span), parent.spanId);
    assert.equal(span.attributes["tributary.connect.outcome"], "connected");
  });

  it("ends an open attempt as cancelled when the source stops", () => {
    const spans = new SourceConnectSpans();

    spans.observe("s", "not a url", { state: "connecting", reason: "start" });
    spans.observe("s", "not a url", { state: "down", reason: "stopped" });
    spans.observe("t", "ws://h/", { state: "connecting", reason: "start" });
    spans.close();

    const outcomes = memory
      .spans("source.connect")
      .map((s) => s.attributes["tributary.connect.outcome"]);
    assert.deepEqual(outcomes, ["cancelled", "cancelled"]);
    const [first] = memory.spans("source.connect");
    assert.equal(first?.attributes["url.full"], "(invalid url)");
  });

  it("ignores states without an open attempt", () => {
    const spans = new SourceConnectSpans();

    spans.observe("s", "ws://h/", { state: "up", reason: "x" });
    spans.observe("s", "ws://h/", { state: "stale", reason: "quiet" });
    spans.observe("s", "ws://h/", { state: "down", reason: "reset" });

    assert.equal(memory.exporter.getFinishedSpans().length, 0);
  });
});

describe("recordFailover", () => {
  it("records a child of the active span with group, from, to, why", () => {
    const tracer = trace.getTracer("test");
    const at = Date.now();

    const parent = tracer.startActiveSpan("ForceFailover", (span) => {
      recordFailover({ group: "g", from: "a", to: "b", reason: "forced", at });
      span.end();
      return span.spanContext();
    });

    const [span] = memory.spans("group.failover");
    assert.ok(span);
    assert.equal(parentOf(span), parent.spanId);
    assert.deepEqual(span.attributes, {
      "tributary.group.id": "g",
      "tributary.failover.from": "a",
      "tributary.failover.to": "b",
      "tributary.reason": "forced",
    });
  });

  it("leaves out from and to when there were none", () => {
    recordFailover({ group: "g", to: "a", reason: "first up", at: 1 });

    const [span] = memory.spans("group.failover");
    assert.equal(span?.attributes["tributary.failover.from"], undefined);
    assert.equal(span?.attributes["tributary.failover.to"], "a");
    assert.equal(parentOf(span ?? assert.fail()), "");
  });
});

describe("SessionSpans", () => {
  const session = (id: string) => ({
    id,
    remoteAddress: "::1:5000",
    protocol: "tributary.v1.json",
    patterns: new Set(["a.*"]),
    delivery: { delivered: 3, dropped: 1, gaps: 1 },
  });

  it("continues the trace of a traceparent sent with the upgrade", () => {
    const spans = new SessionSpans();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

    spans.opened(session("ws-1"), "websocket", { traceparent });
    spans.subscribed("ws-1", ["b.>", "a.*"]);
    spans.closed("ws-1", { code: 1011, reason: "boom" });

    const [span] = memory.spans("client.session");
    assert.ok(span);
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(parentOf(span), "00f067aa0ba902b7");
    assert.equal(span.attributes["client.address"], "::1");
    assert.equal(span.attributes["client.port"], 5000);
    assert.deepEqual(span.attributes["tributary.client.subscriptions"], [
      "a.*",
      "b.>",
    ]);
    assert.equal(span.attributes["tributary.client.close_code"], 1011);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
  });

  it("ignores a close of a session it never saw", () => {
    new SessionSpans().closed("ws-404", { code: 1000 });

    assert.equal(memory.spans("client.session").length, 0);
  });
});

describe("GatewayTelemetry.sessionChange with a real WsGateway", () => {
  let server: Server;
  let ws: WsGateway;
  let telemetry: GatewayTelemetry;
  before(async () => {
    telemetry = new GatewayTelemetry();
    ws = new WsGateway({
      fanout: new Fanout(new TopicGraph()),
      limits: parseConfig({}).limits,
      logger: createSilentLogger(),
      onSessionChange: (change) => telemetry.sessionChange(change),
    });
    server = createServer();
    ws.attach(server);
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
  });
  after(async () => {
    ws.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await telemetry.close();
  });

  it("spans a client session from connect to its close code", async () => {
    const { port } = server.address() as AddressInfo;
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`, [
      "tributary.v1.json",
    ]);
    await new Promise((resolve) => client.once("open", resolve));
    client.send(JSON.stringify({ type: "subscribe", topics: ["a.b"] }));
    await new Promise((resolve) => client.once("message", resolve));

    client.close(4000, "done here");
    await waitFor("the session span", () => {
      return memory.spans("client.session").length === 1;
    });

    const [span] = memory.spans("client.session");
    assert.ok(span);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.attributes["tributary.client.id"], "ws-1");
    assert.equal(span.attributes["tributary.transport"], "websocket");
    assert.equal(span.attributes["client.address"], "127.0.0.1");
    assert.equal(
      span.attributes["tributary.client.subprotocol"],
      "tributary.v1.json",
    );
    assert.equal(span.attributes["tributary.client.close_code"], 4000);
    assert.equal(span.attributes["tributary.reason"], "done here");
    const metrics = await telemetry.renderMetrics();
    assert.match(metrics, /tributary_client_sessions\{[^}]*websocket"\} 0/);
  });
});

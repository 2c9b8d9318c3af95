import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  CounterFold,
  GatewayMetrics,
  type GroupReading,
  type SourceReading,
} from "../../src/telemetry/index.js";
import { sample } from "./helpers.js";

/** Readings a test changes between scrapes. */
function fakeGateway() {
  const sources: SourceReading[] = [];
  const groups: GroupReading[] = [];
  return {
    sources,
    groups,
    listSources: () => sources,
    listGroups: () => groups,
  };
}

function source(
  id: string,
  state: string,
  counters: SourceReading["counters"],
): SourceReading {
  return { config: { id }, health: { state }, counters, group: id };
}

function session(id: string, delivered: number, dropped = 0, gaps = 0) {
  return {
    id,
    remoteAddress: "127.0.0.1:4000",
    protocol: "tributary.v1.json",
    patterns: new Set<string>(),
    delivery: { delivered, dropped, gaps },
  };
}

describe("GatewayMetrics", () => {
  const made: GatewayMetrics[] = [];
  afterEach(async () => {
    for (const metrics of made.splice(0)) await metrics.shutdown();
  });
  function create(latencySampleEvery = 1): GatewayMetrics {
    const metrics = new GatewayMetrics({ latencySampleEvery });
    made.push(metrics);
    return metrics;
  }

  it("renders source counters and health from the readings", async () => {
    const metrics = create();
    const gateway = fakeGateway();
    gateway.sources.push(
      source("a", "up", { frames: 10, translated: 9, skipped: 1, failed: 2 }),
      source("b", "down", { frames: 0, translated: 0, skipped: 0, failed: 0 }),
    );
    metrics.watch(gateway);

    const text = await metrics.render();

    const a = { tributary_source_id: "a" };
    assert.equal(sample(text, "tributary_source_frames_total", a), 10);
    assert.equal(sample(text, "tributary_source_messages_total", a), 9);
    assert.equal(sample(text, "tributary_source_frames_skipped_total", a), 1);
    assert.equal(sample(text, "tributary_source_failures_total", a), 2);
    const state = (id: string, s: string) =>
      sample(text, "tributary_source_state", {
        tributary_source_id: id,
        tributary_source_state: s,
      });
    assert.equal(state("a", "up"), 1);
    assert.equal(state("a", "down"), 0);
    assert.equal(state("b", "down"), 1);
    assert.equal(state("b", "up"), 0);
    assert.match(text, /^# TYPE tributary_source_frames_total counter$/m);
    assert.match(text, /^target_info\{service_name="tributary"\} 1$/m);
  });

  it("counts each source's upstream subscriptions by state", async () => {
    const metrics = create();
    metrics.watch({
      ...fakeGateway(),
      listUpstreamSubscriptions: () => [
        {
          source: "metered",
          subscriptions: [
            { state: "subscribed" },
            { state: "subscribed" },
            { state: "rejected" },
          ],
        },
      ],
    });

    const text = await metrics.render();

    const count = (state: string) =>
      sample(text, "tributary_upstream_subscriptions", {
        tributary_source_id: "metered",
        tributary_source_state: state,
      });
    assert.equal(count("subscribed"), 2);
    assert.equal(count("rejected"), 1);
    assert.equal(count("lingering"), 0);
    assert.equal(count("pending"), 0);
  });

  it("keeps counters rising when a translator starts over", async () => {
    const metrics = create();
    const gateway = fakeGateway();
    const counters = { frames: 5, translated: 5, skipped: 0, failed: 0 };
    gateway.sources.push(source("a", "up", counters));
    metrics.watch(gateway);
    await metrics.render();

    gateway.sources[0] = source("a", "up", { ...counters, frames: 2 });
    const text = await metrics.render();

    const a = { tributary_source_id: "a" };
    assert.equal(sample(text, "tributary_source_frames_total", a), 7);
  });

  it("sums duplicates of each group's members", async () => {
    const metrics = create();
    const gateway = fakeGateway();
    gateway.groups.push({
      config: { id: "g", mode: "active-active" },
      members: [
        { id: "a", health: { state: "up" }, duplicates: 4 },
        { id: "b", health: { state: "up" }, duplicates: 6 },
      ],
    });
    metrics.watch(gateway);

    const text = await metrics.render();

    const g = { tributary_group_id: "g" };
    assert.equal(sample(text, "tributary_group_duplicates_total", g), 10);
  });

  it("counts clients and deliveries, closed sessions included", async () => {
    const metrics = create();
    const one = session("ws-1", 5, 2, 1);
    const two = session("ws-2", 7);
    metrics.sessionOpened(one, "websocket");
    metrics.sessionOpened(two, "websocket");
    metrics.sessionOpened(session("g-1", 3), "grpc");
    const before = await metrics.render();

    one.delivery.delivered = 6;
    metrics.sessionClosed("ws-1");
    metrics.sessionClosed("ws-404");
    const text = await metrics.render();

    const ws = { tributary_transport: "websocket" };
    const grpc = { tributary_transport: "grpc" };
    assert.equal(sample(before, "tributary_client_sessions", ws), 2);
    assert.equal(sample(text, "tributary_client_sessions", ws), 1);
    assert.equal(sample(text, "tributary_client_sessions", grpc), 1);
    assert.equal(sample(text, "tributary_messages_delivered_total", ws), 13);
    assert.equal(sample(text, "tributary_messages_delivered_total", grpc), 3);
    const slow = { tributary_reason: "slow-consumer" };
    assert.equal(sample(text, "tributary_messages_dropped_total", slow), 2);
    assert.equal(sample(text, "tributary_gaps_total", slow), 1);
  });

  it("counts gaps, missing messages, resets and failovers", async () => {
    const metrics = create();

    metrics.recordGap("missing-upstream", 4);
    metrics.recordGap("missing-upstream", 6);
    metrics.recordReset("upstream-reset");
    metrics.recordFailover("g");
    metrics.recordFailover("g");
    const text = await metrics.render();

    const missing = { tributary_reason: "missing-upstream" };
    assert.equal(sample(text, "tributary_gaps_total", missing), 2);
    assert.equal(sample(text, "tributary_messages_dropped_total", missing), 10);
    const reset = { tributary_reason: "upstream-reset" };
    assert.equal(sample(text, "tributary_topic_resets_total", reset), 1);
    const g = { tributary_group_id: "g" };
    assert.equal(sample(text, "tributary_group_failovers_total", g), 2);
  });

  it("records ingest-to-write latency in seconds", async () => {
    const metrics = create();
    const now = Date.now();

    metrics.recordDelivery("websocket", now - 30);
    metrics.recordDelivery("websocket", now - 2_000);
    const text = await metrics.render();

    const ws = { tributary_transport: "websocket" };
    assert.equal(sample(text, "tributary_delivery_latency_count", ws), 2);
    const sum = sample(text, "tributary_delivery_latency_sum", ws) ?? 0;
    assert.ok(sum >= 2.03 && sum < 2.5, `sum ${sum}`);
    const le = (bound: string) =>
      sample(text, "tributary_delivery_latency_bucket", { ...ws, le: bound });
    assert.equal(le("0.025"), 0);
    assert.equal(le("0.05"), 1);
    assert.equal(le("2.5"), 2);
  });

  it("samples latency one delivery in latencySampleEvery", async () => {
    const metrics = create(8);

    for (let i = 0; i < 80; i++) metrics.recordDelivery("grpc", Date.now());
    const text = await metrics.render();

    const grpc = { tributary_transport: "grpc" };
    assert.equal(sample(text, "tributary_delivery_latency_count", grpc), 10);
  });

  it("refuses a sample rate that is not a power of two", () => {
    for (const bad of [0, 3, 1.5, -2]) {
      assert.throws(
        () => new GatewayMetrics({ latencySampleEvery: bad }),
        RangeError,
      );
    }
  });

  it("renders no source series before it is given readings", async () => {
    const text = await create().render();

    assert.equal(sample(text, "tributary_source_frames_total"), undefined);
    assert.equal(sample(text, "tributary_client_sessions"), 0);
  });
});

describe("CounterFold", () => {
  it("carries the last value as a base when a counter restarts", () => {
    const fold = new CounterFold();

    const seen = [3, 5, 1, 4, 0, 2].map((v) => fold.fold("k", v));

    assert.deepEqual(seen, [3, 5, 6, 9, 9, 11]);
    assert.equal(fold.fold("other", 1), 1);
  });
});

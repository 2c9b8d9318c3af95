import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { GatewayEvent } from "../../src/gateway/index.js";
import { StreamSubscriber } from "../serve/grpc/stream-test-client.js";
import type { Frame, TestClient } from "../support/client.js";
import {
  type OnDemandRig,
  startRig,
  subscribeFrame,
  trade,
  unsubscribeFrame,
  waitForTrade,
} from "../support/on-demand-rig.js";
import type { Responder } from "../support/recording-upstream.js";
import { waitFor } from "../support/wait-for.js";

const ETH = "trades.ETH-USD";
const BTC = "trades.BTC-USD";
const XRP = "trades.XRP-USD";
const BAD = "trades.BAD-SYM";

/** How the test feed says no: `{"type":"error","symbol":..,"message":..}`. */
const REJECTION = {
  match: { "/type": "error" },
  topic: "trades.{/symbol}",
  reason: "/message",
};

/** The test feed refuses `BAD-SYM`, as a feed refuses an unknown symbol. */
const rejectBadSymbol: Responder = (text, reply) => {
  const frame = JSON.parse(text) as { op?: string; symbol?: string };
  if (frame.op === "subscribe" && frame.symbol === "BAD-SYM") {
    reply({ type: "error", symbol: "BAD-SYM", message: "unknown symbol" });
  }
};

/** Every event the gateway reports from now until the test ends. */
function recordEvents(t: TestContext, rig: OnDemandRig): GatewayEvent[] {
  const events: GatewayEvent[] = [];
  const subscription = rig.gw.gateway.control.events.subscribe((event) =>
    events.push(event),
  );
  t.after(() => subscription.unsubscribe());
  return events;
}

/** The `error` frames `client` got about `topic`. */
function errorsAbout(client: TestClient, topic: string): Frame[] {
  return client.frames.filter((f) => f.type === "error" && f.topic === topic);
}

/** The upstream's topics and their states, as `topic state subscribers`. */
function upstreamStates(rig: OnDemandRig): string[] {
  const [view] = rig.gw.gateway.control.listUpstreamSubscriptions("vendor-a");
  return (view?.subscriptions ?? []).map(
    (s) => `${s.topic} ${s.state} ${s.subscribers}`,
  );
}

describe("on-demand subscription limit", () => {
  it("refuses a topic past maxSubscriptions and keeps the others", async (t) => {
    const rig = await startRig(t, { onDemand: { maxSubscriptions: 2 } });
    const events = recordEvents(t, rig);
    const client = await rig.client();

    const reply = await client.request({
      type: "subscribe",
      id: "s1",
      topics: [ETH, BTC, XRP],
    });
    await waitFor("the limit error", () => errorsAbout(client, XRP).length > 0);
    await rig.upstream.flush();

    assert.equal(reply.type, "subscribed");
    assert.deepEqual(reply.topics, [ETH, BTC]);
    const [error] = errorsAbout(client, XRP);
    assert.equal(error?.id, "s1");
    assert.equal(error?.code, "UPSTREAM_LIMIT");
    assert.equal(typeof error?.message, "string");
    assert.ok(
      client.frames.indexOf(reply) < client.frames.indexOf(error as Frame),
      "the error follows the reply",
    );
    assert.deepEqual(rig.upstream.texts(), [
      JSON.stringify(subscribeFrame("ETH-USD")),
      JSON.stringify(subscribeFrame("BTC-USD")),
    ]);
    assert.ok(
      events.some(
        (e) =>
          e.type === "upstream-subscription" &&
          e.change === "limit-reached" &&
          e.topic === XRP,
      ),
      "a limit-reached event",
    );

    rig.upstream.send(trade("XRP-USD", 1));
    rig.upstream.send(trade("ETH-USD", 2));
    rig.upstream.send(trade("BTC-USD", 3));
    await waitForTrade(client, ETH, 2);
    await waitForTrade(client, BTC, 3);
    assert.equal(client.messages().filter((m) => m.topic === XRP).length, 0);
    const [view] = rig.gw.gateway.control.listClients();
    assert.deepEqual([...(view?.subscriptions ?? [])].sort(), [BTC, ETH]);
  });

  it("makes the oldest lingering topic give way at the limit", async (t) => {
    const rig = await startRig(t, {
      onDemand: { maxSubscriptions: 3, lingerMs: 10_000 },
    });
    const holder = await rig.client();
    const newcomer = await rig.client();
    await holder.subscribe([ETH, BTC, "trades.SOL-USD"]);
    // SOL lingers first, and longer, though BTC was wanted first.
    await holder.request({ type: "unsubscribe", topics: ["trades.SOL-USD"] });
    const solLeftAt = Date.now();
    await waitFor("the clock to move", () => Date.now() > solLeftAt + 5);
    await holder.request({ type: "unsubscribe", topics: [BTC] });

    const reply = await newcomer.subscribe([XRP]);
    await rig.upstream.flush();

    assert.deepEqual(reply.topics, [XRP]);
    assert.deepEqual(errorsAbout(newcomer, XRP), []);
    assert.deepEqual(rig.upstream.texts().slice(3), [
      JSON.stringify(unsubscribeFrame("SOL-USD")),
      JSON.stringify(subscribeFrame("XRP-USD")),
    ]);
    assert.deepEqual(upstreamStates(rig), [
      "trades.BTC-USD lingering 0",
      "trades.ETH-USD subscribed 1",
      "trades.XRP-USD subscribed 1",
    ]);
    rig.upstream.send(trade("XRP-USD", 1));
    await waitForTrade(newcomer, XRP, 1);
  });
});

describe("on-demand subscription rejected upstream", () => {
  it("tells every subscriber and does not ask again", async (t) => {
    const rig = await startRig(t, {
      onDemand: { rejection: REJECTION, lingerMs: 0 },
    });
    rig.upstream.responder = rejectBadSymbol;
    const events = recordEvents(t, rig);
    const first = await rig.client();
    const second = await rig.client();

    const reply = await first.subscribe([ETH, BAD]);
    await waitFor("the rejection", () => errorsAbout(first, BAD).length > 0);

    assert.deepEqual(reply.topics, [ETH, BAD]);
    const [told] = errorsAbout(first, BAD);
    assert.equal(told?.code, "UPSTREAM_REJECTED");
    assert.match(String(told?.message), /unknown symbol/);
    assert.ok(!told?.id, `no request id: ${JSON.stringify(told)}`);
    const event = events.find(
      (e) => e.type === "upstream-subscription" && e.change === "rejected",
    );
    assert.deepEqual(event && { ...event, at: 0 }, {
      type: "upstream-subscription",
      source: "vendor-a",
      topic: BAD,
      change: "rejected",
      reason: "unknown symbol",
      at: 0,
    });

    const again = await second.subscribe([BAD]);
    await waitFor(
      "the second rejection",
      () => errorsAbout(second, BAD).length > 0,
    );
    await rig.upstream.flush();
    assert.deepEqual(again.topics, [BAD]);
    assert.equal(errorsAbout(second, BAD)[0]?.code, "UPSTREAM_REJECTED");
    assert.match(
      String(errorsAbout(second, BAD)[0]?.message),
      /unknown symbol/,
    );
    assert.equal(rig.upstream.count(subscribeFrame("BAD-SYM")), 1);
    assert.deepEqual(upstreamStates(rig), [
      "trades.BAD-SYM rejected 2",
      "trades.ETH-USD subscribed 1",
    ]);
    rig.upstream.send(trade("ETH-USD", 1));
    await waitForTrade(first, ETH, 1);

    rig.upstream.dropConnections();
    await waitFor("the resubscribe", () => rig.upstream.texts(2).length > 0);
    await rig.upstream.flush();
    assert.deepEqual(rig.upstream.texts(2), [
      JSON.stringify(subscribeFrame("ETH-USD")),
    ]);
    rig.upstream.send(trade("ETH-USD", 2));
    await waitForTrade(first, ETH, 2);

    // Once every holder has left, a new subscriber tries again.
    await first.request({ type: "unsubscribe", topics: [BAD] });
    await second.request({ type: "unsubscribe", topics: [BAD] });
    const third = await rig.client();
    await third.subscribe([BAD]);
    await waitFor("a new try", () =>
      rig.upstream.texts(2).includes(JSON.stringify(subscribeFrame("BAD-SYM"))),
    );
  });
});

describe("on-demand subscriptions over gRPC", () => {
  it("subscribes upstream for Subscribe and reports the limit", async (t) => {
    const rig = await startRig(t, {
      onDemand: { maxSubscriptions: 1, lingerMs: 0 },
    });
    const address = rig.gw.grpcAddress;
    const first = await StreamSubscriber.subscribe(address, {
      patterns: [ETH],
    });
    t.after(() => first.close());
    await waitFor(
      "the subscribe frame",
      () => rig.upstream.received.length > 0,
    );
    rig.upstream.send(trade("ETH-USD", 1));
    await waitFor("the message", () => first.messages(ETH).length === 1);

    const second = await StreamSubscriber.subscribe(address, {
      patterns: [BTC],
    });
    t.after(() => second.close());
    await waitFor("the problem", () =>
      second.events.some((e) => e.event?.$case === "problem"),
    );
    await rig.upstream.flush();

    const problem = second.events.find((e) => e.event?.$case === "problem");
    assert.equal(problem?.event?.$case, "problem");
    if (problem?.event?.$case === "problem") {
      assert.equal(problem.event.value.code, "UPSTREAM_LIMIT");
      assert.equal(problem.event.value.topic, BTC);
      assert.ok(problem.event.value.message.length > 0);
    }
    assert.deepEqual(rig.upstream.texts(), [
      JSON.stringify(subscribeFrame("ETH-USD")),
    ]);

    first.close();
    await waitFor("the unsubscribe", () =>
      rig.upstream
        .texts()
        .includes(JSON.stringify(unsubscribeFrame("ETH-USD"))),
    );
  });
  it("reports a rejection to Subscribe callers as a problem", async (t) => {
    const rig = await startRig(t, { onDemand: { rejection: REJECTION } });
    rig.upstream.responder = rejectBadSymbol;
    const subscriber = await StreamSubscriber.subscribe(rig.gw.grpcAddress, {
      patterns: [BAD, ETH],
    });
    t.after(() => subscriber.close());

    await waitFor("the problem", () =>
      subscriber.events.some((e) => e.event?.$case === "problem"),
    );
    const problem = subscriber.events.find((e) => e.event?.$case === "problem");
    if (problem?.event?.$case !== "problem") assert.fail("no problem event");
    assert.equal(problem.event.value.code, "UPSTREAM_REJECTED");
    assert.equal(problem.event.value.topic, BAD);
    assert.match(problem.event.value.message, /unknown symbol/);
    rig.upstream.send(trade("ETH-USD", 1));
    await waitFor("the message", () => subscriber.messages(ETH).length === 1);
  });
});

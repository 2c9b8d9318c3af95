import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { TestClient } from "../support/client.js";
import { type RunningGateway, startGateway } from "../support/gateway.js";
import {
  onDemandSource,
  startRig,
  subscribeFrame,
  trade,
  unsubscribeFrame,
  waitForTrade,
  waitUntil,
} from "../support/on-demand-rig.js";
import { RecordingUpstream } from "../support/recording-upstream.js";
import { waitFor } from "../support/wait-for.js";

const ETH = "trades.ETH-USD";
const SUBSCRIBE_ETH = '{"op":"subscribe","symbol":"ETH-USD"}';
const UNSUBSCRIBE_ETH = '{"op":"unsubscribe","symbol":"ETH-USD"}';

/** Timers may fire a millisecond early by the wall clock. */
const TIMER_SLACK_MS = 5;

const unsubscribe = (client: TestClient, topics: string[]) =>
  client.request({ type: "unsubscribe", topics });

describe("on-demand upstream subscriptions", () => {
  it("subscribes upstream at the first subscriber only", async (t) => {
    const { upstream, client } = await startRig(t);
    const first = await client();
    const second = await client();

    await first.subscribe([ETH]);
    await waitFor("the subscribe frame", () => upstream.received.length > 0);
    await second.subscribe([ETH]);
    await upstream.flush();

    assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH]);
    upstream.send(trade("ETH-USD", 1));
    await waitForTrade(first, ETH, 1);
    await waitForTrade(second, ETH, 1);
  });

  it("unsubscribes once, when the linger has passed", async (t) => {
    const lingerMs = 300;
    const { upstream, client } = await startRig(t, { onDemand: { lingerMs } });
    const first = await client();
    const second = await client();
    await first.subscribe([ETH]);
    await second.subscribe([ETH]);

    await unsubscribe(first, [ETH]);
    await upstream.flush();
    assert.equal(upstream.count(UNSUBSCRIBE_ETH), 0, "one subscriber is left");

    const leftAt = Date.now();
    await unsubscribe(second, [ETH]);
    await upstream.flush();
    assert.equal(upstream.count(UNSUBSCRIBE_ETH), 0, "sent at once");
    await waitUntil(leftAt + lingerMs / 2);
    await upstream.flush();
    assert.equal(upstream.count(UNSUBSCRIBE_ETH), 0, "sent halfway");

    await waitFor("the unsubscribe", () => upstream.count(UNSUBSCRIBE_ETH) > 0);
    await upstream.flush();
    const sent = upstream.find(UNSUBSCRIBE_ETH);
    assert.ok(sent !== undefined);
    assert.ok(
      sent.at - leftAt >= lingerMs - TIMER_SLACK_MS,
      `unsubscribed after ${sent.at - leftAt} ms, linger ${lingerMs} ms`,
    );
    assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH, UNSUBSCRIBE_ETH]);
  });

  it("sends nothing for a subscriber back within the linger", async (t) => {
    const lingerMs = 300;
    const { upstream, client } = await startRig(t, { onDemand: { lingerMs } });
    const subscriber = await client();
    await subscriber.subscribe([ETH]);

    const leftAt = Date.now();
    await unsubscribe(subscriber, [ETH]);
    await subscriber.subscribe([ETH]);
    await waitUntil(leftAt + lingerMs + 150);
    await upstream.flush();

    assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH]);
    upstream.send(trade("ETH-USD", 1));
    await waitForTrade(subscriber, ETH, 1);
  });

  it("counts a closed socket as leaving", async (t) => {
    const lingerMs = 150;
    const { upstream, gw, client } = await startRig(t, {
      onDemand: { lingerMs },
    });
    const subscriber = await client();
    await subscriber.subscribe([ETH, "trades.BTC-USD"]);

    await subscriber.close();
    const closedAt = Date.now();
    await waitFor("both unsubscribes", () =>
      ["ETH-USD", "BTC-USD"].every(
        (s) => upstream.count(unsubscribeFrame(s)) > 0,
      ),
    );

    const [view] = gw.gateway.control.listUpstreamSubscriptions("vendor-a");
    assert.deepEqual(view?.subscriptions, []);
    const unsubscribedAt = upstream.find(UNSUBSCRIBE_ETH)?.at ?? 0;
    assert.ok(unsubscribedAt - closedAt >= lingerMs - TIMER_SLACK_MS);
  });

  it("sends nothing for a client that reconnects within the linger", async (t) => {
    const { upstream, client } = await startRig(t, {
      onDemand: { lingerMs: 300 },
    });
    const before = await client();
    await before.subscribe([ETH]);

    const leftAt = Date.now();
    await before.close();
    const after = await client();
    await after.subscribe([ETH]);
    await waitUntil(leftAt + 450);
    await upstream.flush();

    assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH]);
  });

  it("resubscribes the wanted topics after a reconnect, in order", async (t) => {
    const lingerMs = 1000;
    const { upstream, gw, client } = await startRig(t, {
      onDemand: { lingerMs },
      source: { subscribe: [{ op: "hello" }] },
    });
    const hello = '{"op":"hello"}';
    const holder = await client();
    const other = await client();
    const leaver = await client();
    await holder.subscribe([ETH]);
    await other.subscribe(["trades.XRP-USD"]);
    await holder.subscribe(["trades.BTC-USD"]);
    await leaver.subscribe(["trades.SOL-USD"]);
    const leftAt = Date.now();
    await unsubscribe(leaver, ["trades.SOL-USD"]);
    await upstream.flush();
    assert.equal(upstream.texts(1).length, 5, "hello and four subscribes");

    upstream.dropConnections();
    await waitFor("the resubscribes", () => upstream.texts(2).length >= 4);
    await upstream.flush();

    const resent = [hello, SUBSCRIBE_ETH, "XRP-USD", "BTC-USD"].map((s) =>
      s.startsWith("{") ? s : JSON.stringify(subscribeFrame(s)),
    );
    assert.deepEqual(upstream.texts(2), resent);
    const [view] = gw.gateway.control.listUpstreamSubscriptions("vendor-a");
    const topics = view?.subscriptions.map((s) => `${s.topic} ${s.state}`);
    assert.deepEqual(topics, [
      "trades.BTC-USD subscribed",
      "trades.ETH-USD subscribed",
      "trades.XRP-USD subscribed",
    ]);

    // The let-go topic's old linger must not unsubscribe it later.
    await waitUntil(leftAt + lingerMs + 150);
    await upstream.flush();
    assert.deepEqual(upstream.texts(2), resent);
    upstream.send(trade("XRP-USD", 7));
    await waitForTrade(other, "trades.XRP-USD", 7);
  });

  it("sends what was wanted during an outage once the feed is back", async (t) => {
    const { upstream, gw, client } = await startRig(t, {
      onDemand: { lingerMs: 300 },
    });
    const control = gw.gateway.control;
    const subscriber = await client();
    await subscriber.subscribe([ETH]);
    await waitFor("the subscribe frame", () => upstream.received.length > 0);
    const port = Number(new URL(upstream.url).port);

    await upstream.stop();
    await waitFor("the source to go down", () => {
      return control.getSource("vendor-a").health.state === "down";
    });
    await subscriber.subscribe(["trades.BTC-USD", "trades.SOL-USD"]);
    await unsubscribe(subscriber, ["trades.SOL-USD"]);
    assert.deepEqual(states(gw), [
      "trades.BTC-USD pending",
      "trades.ETH-USD pending",
    ]);

    const back = await new RecordingUpstream().start(port);
    t.after(() => back.stop());
    await waitFor("the resubscribes", () => back.received.length >= 2);
    await back.flush();
    assert.deepEqual(back.texts(), [
      SUBSCRIBE_ETH,
      JSON.stringify(subscribeFrame("BTC-USD")),
    ]);
    await waitFor("both subscribed", () =>
      states(gw).every((s) => s.endsWith(" subscribed")),
    );
  });

  it("resends the wanted topics after a pause or an update", async (t) => {
    const { upstream, gw, client } = await startRig(t);
    const control = gw.gateway.control;
    const subscriber = await client();
    await subscriber.subscribe([ETH]);

    await control.pauseSource("vendor-a");
    await control.resumeSource("vendor-a");
    await waitFor("the resubscribe", () => upstream.texts(2).length > 0);
    await control.updateSource(
      onDemandSource("vendor-a", upstream.url, { lingerMs: 100 }),
    );
    await waitFor("the update's subscribe", () => upstream.texts(3).length > 0);
    await upstream.flush();

    assert.deepEqual(upstream.texts(), [
      SUBSCRIBE_ETH,
      SUBSCRIBE_ETH,
      SUBSCRIBE_ETH,
    ]);
    upstream.send(trade("ETH-USD", 1));
    await waitForTrade(subscriber, ETH, 1);
    await unsubscribe(subscriber, [ETH]);
    await waitFor("the unsubscribe", () => upstream.count(UNSUBSCRIBE_ETH) > 0);
  });

  it("gives wildcards the live topics and sends nothing for them", async (t) => {
    const { upstream, client } = await startRig(t, {
      onDemand: { lingerMs: 0 },
    });
    const exact = await client();
    const wild = await client();
    await exact.subscribe([ETH]);

    const reply = await wild.subscribe(["trades.*"]);
    const tail = await wild.subscribe(["*.ETH-USD"]);
    const elsewhere = await wild.subscribe(["news.*"]);
    await upstream.flush();

    assert.deepEqual(reply.topics, ["trades.*"]);
    assert.deepEqual(reply.live, [ETH]);
    assert.deepEqual(tail.live, [ETH]);
    assert.equal("live" in elsewhere, false, JSON.stringify(elsewhere));
    assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH]);
    upstream.send(trade("ETH-USD", 1));
    await waitForTrade(wild, ETH, 1);

    // A wildcard is no demand: the topic goes with its last exact holder.
    await unsubscribe(exact, [ETH]);
    await waitFor("the unsubscribe", () => upstream.count(UNSUBSCRIBE_ETH) > 0);
  });

  it("subscribes upstream for a control-plane subscribeClient", async (t) => {
    const { upstream, gw, client } = await startRig(t, {
      onDemand: { lingerMs: 0 },
    });
    const subscriber = await client();
    const control = gw.gateway.control;
    await waitFor("the client view", () => control.listClients().length === 1);
    const id = control.listClients()[0]?.id ?? "";

    control.subscribeClient(id, [ETH]);
    await waitFor(
      "the subscribe frame",
      () => upstream.count(SUBSCRIBE_ETH) > 0,
    );
    await waitFor("the subscribed frame", () =>
      subscriber.frames.some(
        (f) => f.type === "subscribed" && String(f.topics) === ETH,
      ),
    );
    upstream.send(trade("ETH-USD", 1));
    await waitForTrade(subscriber, ETH, 1);

    control.unsubscribeClient(id, [ETH]);
    await waitFor("the unsubscribe", () => upstream.count(UNSUBSCRIBE_ETH) > 0);
  });
});

describe("on-demand upstream subscriptions in a group", () => {
  for (const mode of ["active-standby", "active-active"]) {
    it(`subscribes and unsubscribes every ${mode} member`, async (t) => {
      const lingerMs = 200;
      const [a, b] = await twoUpstreams(t);
      const gw = await startGateway({
        sources: [
          onDemandSource("vendor-a", a.url, { lingerMs }),
          onDemandSource("vendor-b", b.url, { lingerMs }),
        ],
        groups: [{ id: "trades", mode, sources: ["vendor-a", "vendor-b"] }],
      });
      const subscriber = await TestClient.connect(gw.wsUrl);
      t.after(async () => {
        await subscriber.close();
        await gw.stop();
      });
      await waitFor(
        "both members",
        () => a.clients.size + b.clients.size === 2,
      );

      await subscriber.subscribe([ETH]);
      await waitFor("both subscribes", () =>
        [a, b].every((u) => u.count(SUBSCRIBE_ETH) === 1),
      );
      a.send(trade("ETH-USD", 1));
      await waitForTrade(subscriber, ETH, 1);

      const leftAt = Date.now();
      await unsubscribe(subscriber, [ETH]);
      await waitFor("both unsubscribes", () =>
        [a, b].every((u) => u.count(UNSUBSCRIBE_ETH) === 1),
      );
      await Promise.all([a.flush(), b.flush()]);
      for (const upstream of [a, b]) {
        const at = upstream.find(UNSUBSCRIBE_ETH)?.at ?? 0;
        assert.ok(at - leftAt >= lingerMs - TIMER_SLACK_MS);
        assert.deepEqual(upstream.texts(), [SUBSCRIBE_ETH, UNSUBSCRIBE_ETH]);
      }
    });
  }
});

/** `vendor-a`'s upstream topics as `topic state`. */
function states(gw: RunningGateway): string[] {
  const [view] = gw.gateway.control.listUpstreamSubscriptions("vendor-a");
  return (view?.subscriptions ?? []).map((s) => `${s.topic} ${s.state}`);
}

/** Two recording upstreams, stopped after the test (after its gateway). */
async function twoUpstreams(t: TestContext): Promise<RecordingUpstream[]> {
  const upstreams = [new RecordingUpstream(), new RecordingUpstream()];
  await Promise.all(upstreams.map((u) => u.start()));
  t.after(() => Promise.all(upstreams.map((u) => u.stop())));
  return upstreams;
}

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import {
  type OnDemandSettings,
  type UpstreamChangeEvent,
  UpstreamSubscriptions,
} from "../../src/sources/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";

const RULES: OnDemandSettings["rules"] = [
  {
    topics: "trades.*",
    subscribe: { op: "subscribe", symbol: "{2}" },
    unsubscribe: { op: "unsubscribe", symbol: "{2}" },
  },
];

/** A manager over a fake link that records what it would send. */
function setup(settings: Partial<OnDemandSettings> = {}, connected = true) {
  const sent: string[] = [];
  const events: UpstreamChangeEvent[] = [];
  let open = connected;
  const upstream = new UpstreamSubscriptions(
    { rules: RULES, lingerMs: 1000, standing: [], ...settings },
    {
      source: "vendor-a",
      logger: createSilentLogger(),
      send: (frame) => {
        if (!open) return false;
        sent.push(frame);
        return true;
      },
      onChange: (event) => events.push(event),
    },
  );
  const link = {
    close() {
      open = false;
      upstream.disconnected();
    },
    reopen() {
      open = true;
      return upstream.connected();
    },
  };
  return { upstream, sent, events, link };
}

const sub = (symbol: string) => JSON.stringify({ op: "subscribe", symbol });
const unsub = (symbol: string) => JSON.stringify({ op: "unsubscribe", symbol });

describe("UpstreamSubscriptions", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("subscribes once for the first holder and unsubscribes after the linger", () => {
    const { upstream, sent } = setup();
    assert.deepEqual(upstream.hold("trades.ETH-USD", 1), { ok: true });
    assert.deepEqual(upstream.hold("trades.ETH-USD", 2), { ok: true });
    assert.deepEqual(sent, [sub("ETH-USD")]);

    upstream.hold("trades.ETH-USD", 0);
    assert.equal(upstream.stateOf("trades.ETH-USD"), "lingering");
    mock.timers.tick(999);
    assert.deepEqual(sent, [sub("ETH-USD")], "nothing before the linger");
    mock.timers.tick(1);
    assert.deepEqual(sent, [sub("ETH-USD"), unsub("ETH-USD")]);
    assert.equal(upstream.stateOf("trades.ETH-USD"), undefined);
  });

  it("sends nothing for a holder back within the linger", () => {
    const { upstream, sent } = setup();
    upstream.hold("trades.ETH-USD", 1);
    upstream.hold("trades.ETH-USD", 0);
    mock.timers.tick(500);
    upstream.hold("trades.ETH-USD", 1);
    mock.timers.tick(5000);
    assert.deepEqual(sent, [sub("ETH-USD")]);
    assert.equal(upstream.stateOf("trades.ETH-USD"), "subscribed");
  });

  it("unsubscribes at once with lingerMs 0", () => {
    const { upstream, sent } = setup({ lingerMs: 0 });
    upstream.hold("trades.ETH-USD", 1);
    upstream.hold("trades.ETH-USD", 0);
    assert.deepEqual(sent, [sub("ETH-USD"), unsub("ETH-USD")]);
  });

  it("waits for the connection and re-sends the live set on every connect", () => {
    const { upstream, sent, link } = setup();
    link.close();
    upstream.hold("trades.A", 1);
    assert.equal(upstream.stateOf("trades.A"), "pending");
    assert.deepEqual(sent, []);
    assert.deepEqual(link.reopen(), [sub("A")]);

    upstream.hold("trades.B", 1);
    upstream.hold("trades.C", 1);
    upstream.hold("trades.C", 0); // lingering when the link drops
    link.close();
    assert.equal(upstream.stateOf("trades.A"), "pending");
    assert.deepEqual(link.reopen(), [sub("A"), sub("B")]);
    assert.equal(upstream.stateOf("trades.C"), undefined);
  });

  it("forgets a pending topic whose holders leave, sending nothing", () => {
    const { upstream, sent, link, events } = setup();
    link.close();
    upstream.hold("trades.A", 1);
    upstream.hold("trades.A", 0);
    assert.deepEqual(link.reopen(), []);
    assert.deepEqual(sent, []);
    assert.deepEqual(events, []);
  });

  it("refuses past the limit, after letting the oldest lingering topic go", () => {
    const { upstream, sent, events } = setup({ maxSubscriptions: 2 });
    upstream.hold("trades.A", 1);
    upstream.hold("trades.B", 1);
    const refused = upstream.hold("trades.C", 1);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.refusal, "limit");
    assert.equal(upstream.stateOf("trades.C"), undefined);
    assert.equal(events.at(-1)?.change, "limit-reached");

    upstream.hold("trades.A", 0);
    assert.deepEqual(upstream.hold("trades.C", 1), { ok: true });
    assert.deepEqual(sent, [sub("A"), sub("B"), unsub("A"), sub("C")]);
  });

  it("keeps standing topics with no holder, within the limit", () => {
    const { upstream, sent } = setup(
      { standing: ["trades.S"], maxSubscriptions: 1 },
      false,
    );
    // Built with no connection yet: the standing topic waits for it.
    assert.equal(upstream.stateOf("trades.S"), "pending");
    assert.equal(upstream.full, true);
    assert.equal(upstream.hold("trades.X", 1).ok, false);
    upstream.hold("trades.S", 1);
    upstream.hold("trades.S", 0);
    mock.timers.tick(5000);
    assert.equal(upstream.stateOf("trades.S"), "pending");
    upstream.setStanding("trades.S", false);
    assert.equal(upstream.stateOf("trades.S"), undefined);
    assert.deepEqual(sent, []);
  });

  it("reads rejections, holds the topic back, and lets a new holder retry once it was left", () => {
    const { upstream, sent, events, link } = setup({
      rejection: {
        match: { "/type": "error" },
        topic: "trades.{/symbol}",
        reason: "/message",
      },
    });
    upstream.hold("trades.BAD", 1);
    const frame = (value: unknown) => ({
      source: "vendor-a",
      data: Buffer.from(JSON.stringify(value)),
      isBinary: false,
      receivedAt: Date.now(),
    });
    upstream.inspect(frame({ type: "trade", symbol: "BAD" }));
    assert.equal(upstream.stateOf("trades.BAD"), "subscribed");
    upstream.inspect(
      frame({ type: "error", symbol: "BAD", message: "unknown symbol" }),
    );
    assert.equal(upstream.stateOf("trades.BAD"), "rejected");
    assert.deepEqual(events.at(-1), {
      topic: "trades.BAD",
      change: "rejected",
      reason: "unknown symbol",
    });
    const again = upstream.hold("trades.BAD", 2);
    assert.equal(!again.ok && again.reason, "unknown symbol");
    assert.equal(upstream.full, false, "a rejected topic takes no slot");
    link.close();
    assert.deepEqual(link.reopen(), [], "not sent again after a reconnect");

    upstream.hold("trades.BAD", 0);
    assert.equal(upstream.stateOf("trades.BAD"), undefined);
    assert.deepEqual(upstream.hold("trades.BAD", 1), { ok: true });
    assert.deepEqual(sent, [sub("BAD"), sub("BAD")]);
  });

  it("tries a rejected standing topic again on each new connection", () => {
    const { upstream, link } = setup({
      standing: ["trades.S"],
      rejection: { match: { "/type": "error" }, topic: "trades.{/symbol}" },
    });
    upstream.inspect({
      source: "vendor-a",
      data: Buffer.from('{"type":"error","symbol":"S"}'),
      isBinary: false,
      receivedAt: Date.now(),
    });
    assert.equal(upstream.stateOf("trades.S"), "rejected");
    link.close();
    assert.deepEqual(link.reopen(), [sub("S")]);
    assert.equal(upstream.stateOf("trades.S"), "subscribed");
    assert.equal(upstream.list()[0]?.reason, undefined);
  });

  it("shows a topic revived while the link is down as pending", () => {
    const { upstream, link } = setup();
    link.reopen();
    upstream.hold("trades.A", 1);
    upstream.hold("trades.A", 0);
    link.close();
    upstream.hold("trades.A", 1);
    assert.equal(upstream.stateOf("trades.A"), "pending");
    assert.deepEqual(link.reopen(), [sub("A")]);
  });

  it("lists topics sorted with their counts and states", () => {
    const { upstream, link } = setup({ standing: ["trades.Z"] }, false);
    upstream.hold("trades.B", 2);
    upstream.hold("trades.A", 1);
    upstream.hold("trades.A", 0); // never sent: forgotten at once
    link.reopen();
    upstream.hold("trades.C", 1);
    upstream.hold("trades.C", 0);
    const list = upstream.list();
    assert.deepEqual(
      list.map(({ topic, state, subscribers, standing }) => ({
        topic,
        state,
        subscribers,
        standing,
      })),
      [
        {
          topic: "trades.B",
          state: "subscribed",
          subscribers: 2,
          standing: false,
        },
        {
          topic: "trades.C",
          state: "lingering",
          subscribers: 0,
          standing: false,
        },
        {
          topic: "trades.Z",
          state: "subscribed",
          subscribers: 0,
          standing: true,
        },
      ],
    );
  });
});

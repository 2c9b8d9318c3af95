import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCodec } from "../../src/codecs/index.js";
import { codecSpec, frameOf, payloadOf } from "./helpers.js";

/*
 * The two wire formats of the gateway's demo feeds, with the codec configs
 * the demo uses: the same trades from two vendors must come out as the
 * same topic, id, seq, time and canonical payload.
 */

const ALPHA_CODEC = {
  format: "json",
  topic: "trades.{/symbol}",
  id: "/tradeId",
  seq: "/seq",
  time: "/ts",
  key: "/symbol",
  data: { symbol: "/symbol", price: "/p", qty: "/q", side: "/side" },
  match: { "/type": "trade" },
};

const BETA_CODEC = {
  format: "json",
  topic: "trades.{/instrument/code}",
  each: "/data",
  id: "/id",
  seq: "/sequence",
  time: "/timestamp",
  key: "/instrument/code",
  data: {
    symbol: "/instrument/code",
    price: "/price",
    qty: "/size",
    side: "/taker",
  },
  match: { "/channel": "trades" },
};

const alpha = createCodec(codecSpec(ALPHA_CODEC), "alpha");
const beta = createCodec(codecSpec(BETA_CODEC), "beta");

const EXPECTED_PAYLOAD =
  '{"symbol":"BTC-USD","price":43210.5,"qty":0.25,"side":"buy"}';

const alphaTrade = {
  type: "trade",
  symbol: "BTC-USD",
  tradeId: "T-1042",
  seq: 1042,
  ts: 1764700000123,
  p: 43210.5,
  q: 0.25,
  side: "buy",
};

const betaTrade = {
  instrument: { code: "BTC-USD" },
  id: "T-1042",
  sequence: 1042,
  timestamp: "2025-12-02T18:26:40.123Z",
  price: 43210.5,
  size: 0.25,
  taker: "buy",
};

const betaTrade2 = {
  instrument: { code: "ETH-USD" },
  id: "T-1043",
  sequence: 1043,
  timestamp: "2025-12-02T18:26:40.456Z",
  price: 2950,
  size: 1,
  taker: "sell",
};

describe("demo feed alpha", () => {
  it("translates a trade frame", () => {
    const result = alpha(frameOf(alphaTrade));

    assert.deepEqual(result.failures, []);
    assert.equal(result.messages.length, 1);
    const [message] = result.messages;
    assert.equal(message?.topic, "trades.BTC-USD");
    assert.equal(message?.source, "alpha");
    assert.equal(message?.id, "T-1042");
    assert.equal(message?.upstreamSeq, 1042);
    assert.equal(message?.time, 1764700000123);
    assert.equal(message?.key, "BTC-USD");
    assert.equal(message?.data.toString(), EXPECTED_PAYLOAD);
  });

  it("skips heartbeat frames", () => {
    const result = alpha(frameOf({ type: "heartbeat" }));
    assert.deepEqual(result, { messages: [], skipped: 1, failures: [] });
  });
});

describe("demo feed beta", () => {
  it("translates every trade of a batch frame", () => {
    const frame = { channel: "trades", data: [betaTrade, betaTrade2] };
    const result = beta(frameOf(frame));

    assert.deepEqual(result.failures, []);
    assert.equal(result.messages.length, 2);
    const [first, second] = result.messages;
    assert.equal(first?.topic, "trades.BTC-USD");
    assert.equal(first?.source, "beta");
    assert.equal(first?.id, "T-1042");
    assert.equal(first?.upstreamSeq, 1042);
    assert.equal(first?.time, 1764700000123);
    assert.equal(first?.key, "BTC-USD");
    assert.equal(first?.data.toString(), EXPECTED_PAYLOAD);
    assert.equal(second?.topic, "trades.ETH-USD");
    assert.equal(second?.upstreamSeq, 1043);
    assert.deepEqual(payloadOf(second), {
      symbol: "ETH-USD",
      price: 2950,
      qty: 1,
      side: "sell",
    });
  });

  it("skips status frames", () => {
    const status = { channel: "status", data: { ok: true } };
    const result = beta(frameOf(status));
    assert.deepEqual(result, { messages: [], skipped: 1, failures: [] });
  });
});

describe("demo feeds together", () => {
  it("make the same trade one identical message but for source", () => {
    const [fromAlpha] = alpha(frameOf(alphaTrade)).messages;
    const batch = { channel: "trades", data: [betaTrade] };
    const [fromBeta] = beta(frameOf(batch)).messages;
    assert.ok(fromAlpha && fromBeta);

    const { source: a, data: alphaData, ...alphaRest } = fromAlpha;
    const { source: b, data: betaData, ...betaRest } = fromBeta;
    assert.deepEqual([a, b], ["alpha", "beta"]);
    assert.deepEqual(alphaRest, betaRest);
    assert.ok(alphaData.equals(betaData), "payload bytes differ");
  });
});

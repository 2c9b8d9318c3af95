import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCodec } from "../../src/codecs/index.js";
import {
  ALPHA_CODEC,
  alphaFrame,
  BETA_CODEC,
  betaFrame,
  TradeTape,
} from "../../src/demo/index.js";
import type { RawFrame, SourceMessage } from "../../src/envelope/index.js";

function frame(source: string, value: unknown): RawFrame {
  const data = Buffer.from(JSON.stringify(value));
  return { source, data, isBinary: false, receivedAt: Date.now() };
}

function comparable(message: SourceMessage) {
  const { source: _source, ingestTime: _ingest, ...rest } = message;
  return { ...rest, data: JSON.parse(rest.data.toString()) };
}

describe("the demo's two wire formats", () => {
  const alpha = createCodec(ALPHA_CODEC, "alpha");
  const beta = createCodec(BETA_CODEC, "beta");

  it("translate the same trades into identical envelopes", () => {
    const tape = new TradeTape();
    const trades = Array.from({ length: 20 }, () => tape.next());

    const fromAlpha = trades.flatMap(
      (trade) => alpha(frame("alpha", alphaFrame(trade))).messages,
    );
    const fromBeta = beta(frame("beta", betaFrame(trades))).messages;

    assert.equal(fromAlpha.length, 20);
    assert.deepEqual(fromBeta.map(comparable), fromAlpha.map(comparable));
    const first = fromAlpha[0];
    const trade = trades[0];
    assert.equal(first?.topic, `trades.${trade?.symbol}`);
    assert.equal(first?.id, trade?.tradeId);
    assert.equal(first?.time, trade?.time);
  });

  it("skip each feed's non-trade frames", () => {
    const heartbeat = alpha(frame("alpha", { type: "heartbeat" }));
    assert.deepEqual([heartbeat.messages.length, heartbeat.skipped], [0, 1]);
    const status = beta(
      frame("beta", { channel: "status", data: { ok: true } }),
    );
    assert.deepEqual([status.messages.length, status.skipped], [0, 1]);
  });
});

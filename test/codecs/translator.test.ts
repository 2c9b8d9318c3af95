import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createTranslator } from "../../src/codecs/index.js";
import type { RawFrame } from "../../src/envelope/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { captureLogger, codecSpec, frameOf } from "./helpers.js";

const TRADES = codecSpec({
  format: "json",
  topic: "trades.{/symbol}",
  each: "/trades",
  id: "/id",
  seq: "/seq",
  time: "/ts",
  key: "/symbol",
  data: { symbol: "/symbol", price: "/p" },
  match: { "/type": "batch" },
});

function batch(...trades: unknown[]) {
  return frameOf({ type: "batch", trades });
}

const trade = (seq: number) => ({
  symbol: "BTC-USD",
  id: `T-${seq}`,
  seq,
  ts: 1764700000000 + seq,
  p: 100 + seq,
});

/** A clock the test moves by hand. */
function manualClock() {
  let nowMs = 1_000_000;
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

describe("createTranslator", () => {
  it("returns the messages and counts frames, messages and skips", () => {
    const translator = createTranslator(TRADES, "v1", createSilentLogger());

    const first = translator.translate(batch(trade(1), trade(2)));
    translator.translate(frameOf({ type: "heartbeat" }));
    translator.translate(batch(trade(3)));

    assert.deepEqual(
      first.map((m) => m.upstreamSeq),
      [1, 2],
    );
    assert.deepEqual(
      { ...translator.stats },
      { frames: 3, messages: 3, skipped: 1, failed: 0 },
    );
  });

  it("counts every failure, of frames and of single messages", () => {
    const translator = createTranslator(TRADES, "v1", createSilentLogger());

    translator.translate(frameOf("not json"));
    translator.translate(frameOf({ type: "batch", trades: "nope" }));
    const kept = translator.translate(
      batch(trade(1), { ...trade(2), symbol: "BTC USD" }, {}, trade(4)),
    );

    assert.deepEqual(
      kept.map((m) => m.upstreamSeq),
      [1, 4],
    );
    assert.deepEqual(
      { ...translator.stats },
      { frames: 3, messages: 2, skipped: 0, failed: 4 },
    );
  });

  it("logs the first failure at once with source and reason", () => {
    const { logger, lines } = captureLogger();
    const translator = createTranslator(TRADES, "v1", logger);

    translator.translate(frameOf("garbage!"));

    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.level, 40);
    assert.equal(line?.msg, "frame not translated");
    assert.equal(line?.source, "v1");
    assert.match(String(line?.reason), /^invalid JSON: /);
    assert.equal(line?.frame, "garbage!");
    assert.equal(line?.suppressed, 0);
  });

  it("logs at most one line per interval, with the suppressed count", () => {
    const { logger, lines } = captureLogger();
    const clock = manualClock();
    const translator = createTranslator(TRADES, "v1", logger, {
      failureLogIntervalMs: 10_000,
      now: clock.now,
    });

    for (let i = 0; i < 500; i += 1) {
      translator.translate(frameOf(`junk ${i}`));
      clock.advance(10);
    }
    assert.equal(lines.length, 1, "one line in the first 5 s");

    clock.advance(5_000);
    translator.translate(frameOf("junk again"));

    assert.equal(lines.length, 2);
    assert.equal(lines[1]?.suppressed, 499);
    assert.equal(translator.stats.failed, 501);
  });

  it("logs every failure when the interval is 0", () => {
    const { logger, lines } = captureLogger();
    const translator = createTranslator(TRADES, "v1", logger, {
      failureLogIntervalMs: 0,
    });
    for (let i = 0; i < 3; i += 1) {
      translator.translate(frameOf("x"));
    }
    assert.equal(lines.length, 3);
  });

  it("cuts the frame preview of a huge frame", () => {
    const { logger, lines } = captureLogger();
    const translator = createTranslator(TRADES, "v1", logger);
    translator.translate(frameOf("z".repeat(100_000)));
    assert.ok(String(lines[0]?.frame).length <= 121);
  });

  it("never throws, whatever the bytes", () => {
    const translator = createTranslator(TRADES, "v1", createSilentLogger());
    const tradeLike = fc.record(
      {
        symbol: fc.oneof(fc.string(), fc.stringMatching(/^[A-Z-]{1,8}$/)),
        id: fc.jsonValue(),
        seq: fc.oneof(fc.nat(), fc.double(), fc.string()),
        ts: fc.oneof(fc.double(), fc.string(), fc.date().map(String)),
        p: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc
        .array(tradeLike)
        .map((trades) => JSON.stringify({ type: "batch", trades })),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ type: "batch", trades: v })),
      fc
        .array(fc.jsonValue())
        .map((v) => JSON.stringify({ type: "batch", trades: v })),
    );
    const frames = fc.oneof(
      text.map((t) => frameOf(t)),
      fc.uint8Array().map((b) => frameOf(Buffer.from(b), { isBinary: true })),
    );

    let produced = 0;
    fc.assert(
      fc.property(frames, (frame: RawFrame) => {
        const before = { ...translator.stats };
        const messages = translator.translate(frame);
        const after = translator.stats;
        assert.equal(after.frames, before.frames + 1);
        assert.equal(after.messages, before.messages + messages.length);
        produced += messages.length;
        for (const message of messages) {
          assert.match(message.topic, /^trades\.[A-Za-z0-9_:@-]+$/);
          JSON.parse(message.data.toString("utf8"));
        }
      }),
      { numRuns: 2_000 },
    );
    assert.ok(produced > 0, "the frames never made a message");
  });
});

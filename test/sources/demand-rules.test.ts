import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseConfig } from "../../src/config/index.js";
import {
  checkFrameTemplate,
  compileRejection,
  DemandRules,
} from "../../src/sources/index.js";
import { matchesPattern, patternsOverlap } from "../../src/topics/index.js";

describe("DemandRules", () => {
  const rules = new DemandRules([
    {
      topics: "trades.*",
      subscribe: { op: "subscribe", args: ["{2}", "{topic}"] },
      unsubscribe: "UNSUB {2}",
    },
    { topics: "book.>", subscribe: { channel: "book", market: "{2}" } },
  ]);

  it("fills token and topic placeholders, inside JSON and in text", () => {
    assert.deepEqual(rules.framesFor("trades.ETH-USD"), {
      subscribe: '{"op":"subscribe","args":["ETH-USD","trades.ETH-USD"]}',
      unsubscribe: "UNSUB ETH-USD",
    });
    assert.deepEqual(rules.framesFor("book.BTC-USD.L2"), {
      subscribe: '{"channel":"book","market":"BTC-USD"}',
      unsubscribe: undefined,
    });
    assert.equal(rules.framesFor("quotes.X"), undefined);
  });

  it("covers topics and overlaps wildcards", () => {
    assert.equal(rules.covers("trades.X"), true);
    assert.equal(rules.covers("trades.X.Y"), false);
    assert.equal(rules.overlaps("trades.>"), true);
    assert.equal(rules.overlaps("*.X"), true);
    assert.equal(rules.overlaps("quotes.*"), false);
  });

  it("refuses a placeholder the pattern's topics may not have", () => {
    assert.throws(
      () => checkFrameTemplate({ s: "{3}" }, "trades.*"),
      /\{3\} names token 3, but a topic matching "trades.\*" may have only 2/,
    );
    checkFrameTemplate({ s: "{2}", t: "{topic}", u: "{not-one}" }, "trades.*");
  });
});

describe("compileRejection", () => {
  const read = compileRejection({
    match: { "/type": "error", "/code": 40 },
    topic: "trades.{/symbol}",
    reason: "/message",
  });
  const frame = (value: unknown) => Buffer.from(JSON.stringify(value));

  it("reads the topic and reason of a matching frame", () => {
    assert.deepEqual(
      read(frame({ type: "error", code: 40, symbol: "X", message: "no" })),
      { topic: "trades.X", reason: "no" },
    );
  });

  it("passes over other frames, malformed ones included", () => {
    assert.equal(
      read(frame({ type: "trade", code: 40, symbol: "X" })),
      undefined,
    );
    assert.equal(
      read(frame({ type: "error", code: 41, symbol: "X" })),
      undefined,
    );
    assert.equal(read(frame({ type: "error", code: 40 })), undefined);
    assert.equal(read(Buffer.from('{"type":"error",')), undefined);
  });

  it("keeps the whole frame as the reason when there is no reason pointer", () => {
    const bare = compileRejection({
      match: { "/type": "error" },
      topic: "trades.{/s}",
    });
    const text = '{"type":"error","s":"Y"}';
    assert.deepEqual(bare(Buffer.from(text)), {
      topic: "trades.Y",
      reason: text,
    });
  });

  it("does not see a match value written with needless escapes (a byte pre-check)", () => {
    // "\u0065rror" is "error"; the pre-check looks for the bytes "error".
    const escaped = Buffer.from(
      '{"type":"\\u0065rror","code":40,"symbol":"X"}',
    );
    assert.equal(read(escaped), undefined);
  });
});

describe("onDemand config", () => {
  const source = (onDemand: unknown) => ({
    sources: [
      {
        id: "a",
        url: "ws://127.0.0.1:1",
        codec: { format: "json", topic: "trades.{/s}" },
        onDemand,
      },
    ],
  });

  it("names the path of each problem", () => {
    assert.throws(
      () =>
        parseConfig(
          source({
            rules: [{ topics: "trades.*", subscribe: { s: "{3}" } }],
            standing: ["quotes.X", "bad topic"],
            rejection: { match: { nope: "x" }, topic: "t" },
          }),
          "test.yaml",
        ),
      (err: Error) => {
        assert.match(
          err.message,
          /sources\[0\]\.onDemand\.rules\[0\]\.subscribe/,
        );
        assert.match(
          err.message,
          /sources\[0\]\.onDemand\.standing\[0\]: no rule's topics match "quotes\.X"/,
        );
        assert.match(err.message, /sources\[0\]\.onDemand\.standing\[1\]/);
        assert.match(err.message, /sources\[0\]\.onDemand\.rejection\.match/);
        return true;
      },
    );
  });

  it("fills the defaults", () => {
    const config = parseConfig(
      source({ rules: [{ topics: "trades.*", subscribe: "{2}" }] }),
      "test.yaml",
    );
    const onDemand = config.sources[0]?.onDemand;
    assert.equal(onDemand?.lingerMs, 5000);
    assert.deepEqual(onDemand?.standing, []);
    assert.equal(onDemand?.maxSubscriptions, undefined);
  });
});

describe("patternsOverlap", () => {
  const token = fc.constantFrom("a", "b", "*");
  const pattern = fc
    .tuple(fc.array(token, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([tokens, rest]) => (rest ? [...tokens, ">"] : tokens).join("."));
  const topic = fc
    .array(fc.constantFrom("a", "b"), { minLength: 1, maxLength: 5 })
    .map((t) => t.join("."));

  it("agrees with matchesPattern on topics", () => {
    fc.assert(
      fc.property(pattern, topic, (p, t) => {
        assert.equal(patternsOverlap(p, t), matchesPattern(p, t));
      }),
    );
  });

  it("is true exactly when some topic matches both", () => {
    // Topics up to five tokens over {a, b} witness every overlap of
    // patterns up to four tokens over {a, b, *, >}.
    const topics: string[] = [];
    const grow = (prefix: string[]) => {
      if (prefix.length > 0) topics.push(prefix.join("."));
      if (prefix.length === 5) return;
      for (const t of ["a", "b"]) grow([...prefix, t]);
    };
    grow([]);
    fc.assert(
      fc.property(pattern, pattern, (p, q) => {
        const witness = topics.some(
          (t) => matchesPattern(p, t) && matchesPattern(q, t),
        );
        assert.equal(patternsOverlap(p, q), witness);
      }),
    );
  });
});

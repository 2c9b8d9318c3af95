import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileJsonCodec } from "../../src/codecs/index.js";
import { frameOf, jsonSpec, payloadOf, RECEIVED_AT } from "./helpers.js";

function decode(spec: Record<string, unknown>, data: unknown, binary = false) {
  const codec = compileJsonCodec(jsonSpec(spec), "src-1");
  return codec(frameOf(data, { isBinary: binary }));
}

describe("compileJsonCodec", () => {
  describe("a frame that translates", () => {
    it("keeps the whole frame as data by default", () => {
      const result = decode({ topic: "t.all" }, { a: 1, b: [true, null] });

      assert.deepEqual(result.failures, []);
      assert.equal(result.skipped, 0);
      assert.equal(result.messages.length, 1);
      const [message] = result.messages;
      assert.equal(message?.topic, "t.all");
      assert.equal(message?.source, "src-1");
      assert.equal(message?.ingestTime, RECEIVED_AT);
      assert.equal(message?.contentType, "application/json");
      assert.equal(message?.data.toString(), '{"a":1,"b":[true,null]}');
    });

    it("leaves out id, seq, time and key when not configured", () => {
      const [message] = decode({ topic: "t.all" }, { x: 1 }).messages;
      assert.ok(message);
      for (const field of ["id", "upstreamSeq", "time", "key"]) {
        assert.equal(Object.hasOwn(message, field), false, field);
      }
    });

    it("reads data through a pointer", () => {
      const spec = { topic: "t.x", data: "/payload" };
      const result = decode(spec, { payload: { p: 1.5 } });
      assert.deepEqual(payloadOf(result.messages[0]), { p: 1.5 });
    });

    it("builds nested output objects in the config's field order", () => {
      const spec = {
        topic: "t.x",
        data: { px: { bid: "/b", ask: "/a" }, venue: "/v", all: "/" },
      };
      const result = decode(spec, { a: 2, b: 1, v: "X" });
      const text = result.messages[0]?.data.toString();
      assert.equal(
        text,
        '{"px":{"bid":1,"ask":2},"venue":"X","all":{"a":2,"b":1,"v":"X"}}',
      );
    });

    it("leaves a missing output field out of the payload", () => {
      const spec = { topic: "t.x", data: { p: "/p", q: "/q", n: { z: "/z" } } };
      const result = decode(spec, { p: 1, q: null });
      assert.deepEqual(result.failures, []);
      assert.deepEqual(payloadOf(result.messages[0]), { p: 1, q: null, n: {} });
    });

    it("writes an output field named __proto__ as a field", () => {
      // A computed key: a plain `__proto__:` would set the prototype.
      const spec = { topic: "t.x", data: { ["__proto__"]: "/p" } };
      const result = decode(spec, { p: 1 });
      assert.equal(result.messages[0]?.data.toString(), '{"__proto__":1}');
    });

    it("turns numeric ids and keys into strings", () => {
      const spec = { topic: "t.x", id: "/i", key: "/k" };
      const [message] = decode(spec, { i: 17, k: 3.5 }).messages;
      assert.equal(message?.id, "17");
      assert.equal(message?.key, "3.5");
    });

    it("reads seq from a number or a string of digits", () => {
      const spec = { topic: "t.x", seq: "/s" };
      assert.equal(decode(spec, { s: 0 }).messages[0]?.upstreamSeq, 0);
      assert.equal(decode(spec, { s: "1042" }).messages[0]?.upstreamSeq, 1042);
    });

    it("reads time in every unit and as ISO 8601", () => {
      const cases: [string, unknown, number][] = [
        ["ms", 1764700000123, 1764700000123],
        ["s", 1764700000.123, 1764700000123],
        ["s", 1764700000, 1764700000000],
        ["us", 1764700000123456, 1764700000123],
        ["ns", 1764700000123456800, 1764700000123],
        ["ms", "2025-12-02T18:26:40.123Z", 1764700000123],
        ["s", "2025-12-02T19:26:40.123+01:00", 1764700000123],
        ["ms", "2025-12-02T18:26:40.123456Z", 1764700000123],
      ];
      for (const [timeUnit, ts, expected] of cases) {
        const spec = { topic: "t.x", time: "/ts", timeUnit };
        const result = decode(spec, { ts });
        assert.equal(result.messages[0]?.time, expected, `${ts} ${timeUnit}`);
      }
    });

    it("leaves time out when the frame has none", () => {
      const result = decode({ topic: "t.x", time: "/ts" }, { other: 1 });
      assert.deepEqual(result.failures, []);
      assert.equal(Object.hasOwn(result.messages[0] ?? {}, "time"), false);
    });

    it("decodes binary frames as UTF-8 JSON", () => {
      const bytes = Buffer.from('{"s":"€uro","n":1}', "utf8");
      const result = decode({ topic: "t.{/n}" }, bytes, true);
      assert.equal(result.messages[0]?.topic, "t.1");
      assert.deepEqual(payloadOf(result.messages[0]), { s: "€uro", n: 1 });
    });

    it("accepts a frame that starts with a byte order mark", () => {
      const bytes = Buffer.from('\ufeff{"n":1}', "utf8");
      const result = decode({ topic: "t.{/n}" }, bytes, true);
      assert.deepEqual(result.failures, []);
      assert.equal(result.messages.length, 1);
    });
  });

  describe("match", () => {
    const spec = { topic: "t.x", match: { "/type": "trade", "/v": 2 } };

    it("passes a frame where every pointer equals its value", () => {
      const result = decode(spec, { type: "trade", v: 2 });
      assert.equal(result.messages.length, 1);
    });

    it("skips a frame where one does not", () => {
      for (const data of [{ type: "trade", v: "2" }, { type: "hb" }, [], 5]) {
        const result = decode(spec, data);
        assert.deepEqual(result, { messages: [], skipped: 1, failures: [] });
      }
    });

    it("compares null and booleans exactly", () => {
      const nullSpec = { topic: "t.x", match: { "/a": null, "/b": false } };
      assert.equal(decode(nullSpec, { a: null, b: false }).skipped, 0);
      assert.equal(decode(nullSpec, { b: false }).skipped, 1);
      assert.equal(decode(nullSpec, { a: null, b: 0 }).skipped, 1);
    });

    it("is tested on the whole frame, before each", () => {
      const eachSpec = {
        topic: "t.{/n}",
        each: "/items",
        match: { "/kind": "batch" },
      };
      const frame = { kind: "batch", items: [{ n: 1 }, { n: 2 }] };
      const result = decode(eachSpec, frame);
      assert.deepEqual(
        result.messages.map((m) => m.topic),
        ["t.1", "t.2"],
      );
    });
  });

  describe("each", () => {
    const spec = { topic: "t.{/n}", each: "/items", seq: "/n" };

    it("makes one message per element, in order", () => {
      const result = decode(spec, { items: [{ n: 3 }, { n: 1 }, { n: 2 }] });
      assert.deepEqual(
        result.messages.map((m) => m.upstreamSeq),
        [3, 1, 2],
      );
    });

    it("makes no message from an empty array, and no failure", () => {
      assert.deepEqual(decode(spec, { items: [] }), {
        messages: [],
        skipped: 0,
        failures: [],
      });
    });

    it("fails a frame where it finds no array", () => {
      const cases: [unknown, string][] = [
        [{ items: { n: 1 } }, "an object"],
        [{ items: "abc" }, '"abc"'],
        [{}, "missing"],
      ];
      for (const [frame, shown] of cases) {
        assert.deepEqual(decode(spec, frame).failures, [
          `each: /items is ${shown}, expected an array`,
        ]);
      }
    });

    it("fails one element and keeps the others of the frame", () => {
      const items = [{ n: 1 }, { m: 2 }, { n: "BTC USD" }, { n: 4 }];
      const result = decode(spec, { items });

      assert.deepEqual(
        result.messages.map((m) => m.topic),
        ["t.1", "t.4"],
      );
      assert.equal(result.failures.length, 2);
      assert.equal(result.failures[0], 'topic "t.{/n}": /n is missing');
      assert.match(result.failures[1] ?? "", /invalid character " "/);
    });
  });

  describe("garbage", () => {
    const spec = {
      topic: "trades.{/symbol}",
      id: "/id",
      seq: "/seq",
      time: "/ts",
      key: "/symbol",
      data: { p: "/p" },
    };
    const good = { symbol: "X", id: "a", seq: 1, ts: 5, p: 1 };

    it("reports a frame that is not JSON, without throwing", () => {
      for (const text of ["hello", "{", "", '{"a":1} trailing', "\u0000"]) {
        const result = decode(spec, Buffer.from(text));
        assert.equal(result.messages.length, 0);
        assert.equal(result.failures.length, 1);
        assert.match(result.failures[0] ?? "", /^invalid JSON: /, text);
      }
    });

    it("reports a JSON frame of the wrong shape", () => {
      for (const data of [[1, 2], '"str"', 7, null, { other: true }]) {
        const result = decode(spec, data);
        assert.deepEqual(result.messages, []);
        assert.deepEqual(result.failures, [
          'topic "trades.{/symbol}": /symbol is missing',
        ]);
      }
    });

    it("names the reason of each bad field", () => {
      const cases: [Record<string, unknown>, string | RegExp][] = [
        [{ id: undefined }, "id: /id is missing"],
        [
          { id: { x: 1 } },
          "id: /id is an object, expected a string or a number",
        ],
        [{ seq: undefined }, "seq: /seq is missing"],
        [{ seq: -1 }, "seq: /seq is -1, expected a non-negative integer"],
        [{ seq: 1.5 }, "seq: /seq is 1.5, expected a non-negative integer"],
        [{ seq: "12a" }, 'seq: /seq is "12a", expected a non-negative integer'],
        [{ seq: 2 ** 60 }, /^seq: \/seq is 1152921504606847000/],
        [
          { ts: "yesterday" },
          /^time: \/ts is "yesterday", expected a number of ms/,
        ],
        [{ ts: "2025-12-02T18:26:40" }, /^time: \/ts is "2025-12-02T18:26:40"/],
        [{ ts: 1e300 }, /^time: \/ts is 1e\+300/],
        [{ ts: true }, /^time: \/ts is true/],
        [
          { symbol: undefined, p: 1 },
          'topic "trades.{/symbol}": /symbol is missing',
        ],
      ];
      for (const [patch, expected] of cases) {
        const result = decode(spec, { ...good, ...patch });
        assert.equal(result.messages.length, 0, JSON.stringify(patch));
        assert.equal(result.failures.length, 1);
        assert.match(result.failures[0] ?? "", asPattern(expected));
      }
    });

    it("reports a topic token with a space, naming the token", () => {
      const result = decode(spec, { ...good, symbol: "BTC USD" });
      assert.equal(result.failures.length, 1);
      const [failure] = result.failures;
      assert.match(failure ?? "", /^topic "trades\.\{\/symbol\}": /);
      assert.match(failure ?? "", /"BTC USD"/);
    });

    it("reports a data pointer that finds nothing", () => {
      const result = decode({ topic: "t.x", data: "/payload" }, { p: 1 });
      assert.deepEqual(result.failures, ["data: /payload is missing"]);
    });

    it("reads invalid UTF-8 without throwing", () => {
      const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
      const result = decode(spec, bytes, true);
      assert.equal(result.failures.length, 1);
      assert.match(result.failures[0] ?? "", /^invalid JSON/);
    });
  });
});

function asPattern(expected: string | RegExp): RegExp {
  if (expected instanceof RegExp) {
    return expected;
  }
  return new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeGapJson, encodeMessageJson } from "../../src/codecs/index.js";
import type { Envelope } from "../../src/envelope/index.js";

const TIME = Date.UTC(2025, 11, 2, 18, 26, 40, 123);
const INGEST = TIME + 377;

function envelope(patch: Partial<Envelope> = {}): Envelope {
  return {
    topic: "trades.BTC-USD",
    seq: 121,
    epoch: "e1",
    time: TIME,
    ingestTime: INGEST,
    source: "vendor-a",
    key: "BTC-USD",
    data: Buffer.from('{"price":43210.5,"qty":0.25}'),
    contentType: "application/json",
    ...patch,
  };
}

function decode(frame: Buffer): Record<string, unknown> {
  return JSON.parse(frame.toString("utf8")) as Record<string, unknown>;
}

describe("encodeMessageJson", () => {
  it("writes every field, with the JSON payload inlined", () => {
    const frame = decode(encodeMessageJson(envelope()));
    assert.deepEqual(frame, {
      type: "message",
      topic: "trades.BTC-USD",
      seq: 121,
      epoch: "e1",
      time: "2025-12-02T18:26:40.123Z",
      ingestTime: "2025-12-02T18:26:40.500Z",
      source: "vendor-a",
      key: "BTC-USD",
      data: { price: 43210.5, qty: 0.25 },
    });
  });

  it("copies the payload bytes exactly, without re-serializing", () => {
    const raw = '{ "b" : 1.50, "a":[1e3 ,"\\u00e9"] }';
    const encoded = encodeMessageJson(envelope({ data: Buffer.from(raw) }));
    const text = encoded.toString("utf8");
    assert.ok(text.endsWith(`,"data":${raw}}`), text);
    assert.ok(text.startsWith('{"type":"message",'), text);
  });

  it("inlines unicode and nested payloads", () => {
    const payload = {
      name: "Zürich € 東京 🚀",
      nested: { list: [1, { deep: [null, true, '\n\t"q"'] }], empty: {} },
    };
    const data = Buffer.from(JSON.stringify(payload));
    const frame = decode(encodeMessageJson(envelope({ data })));
    assert.deepEqual(frame.data, payload);
  });

  it("escapes topic, epoch, source and key as JSON strings", () => {
    const frame = decode(
      encodeMessageJson(
        envelope({ epoch: 'e"1\\', source: "src\u2028é", key: 'k"\n' }),
      ),
    );
    assert.equal(frame.epoch, 'e"1\\');
    assert.equal(frame.source, "src\u2028é");
    assert.equal(frame.key, 'k"\n');
  });

  it("leaves out time and key when the envelope has none", () => {
    const { time: _time, key: _key, ...rest } = envelope();
    const frame = decode(encodeMessageJson(rest));
    assert.equal(Object.hasOwn(frame, "time"), false);
    assert.equal(Object.hasOwn(frame, "key"), false);
    assert.equal(frame.ingestTime, "2025-12-02T18:26:40.500Z");
  });

  it("writes a text/plain payload as a JSON string", () => {
    const text = 'hello "wörld"\n{not json';
    const frame = decode(
      encodeMessageJson(
        envelope({ data: Buffer.from(text), contentType: "text/plain" }),
      ),
    );
    assert.equal(frame.data, text);
  });

  it("inlines +json types and types with parameters", () => {
    for (const contentType of [
      "application/json; charset=utf-8",
      "application/vnd.acme+json",
    ]) {
      const frame = decode(encodeMessageJson(envelope({ contentType })));
      assert.deepEqual(frame.data, { price: 43210.5, qty: 0.25 }, contentType);
    }
  });

  it("writes an empty JSON payload as null", () => {
    const frame = decode(
      encodeMessageJson(envelope({ data: Buffer.alloc(0) })),
    );
    assert.equal(frame.data, null);
  });

  it("writes other payloads as base64 and says so", () => {
    const bytes = Buffer.from([0, 1, 2, 0xff]);
    const frame = decode(
      encodeMessageJson(
        envelope({ data: bytes, contentType: "application/octet-stream" }),
      ),
    );
    assert.equal(frame.dataEncoding, "base64");
    assert.ok(Buffer.from(frame.data as string, "base64").equals(bytes));
  });
});

describe("encodeGapJson", () => {
  it("writes every field", () => {
    const gap = {
      topic: "trades.BTC-USD",
      fromSeq: 122,
      toSeq: 130,
      reason: 'slow "consumer"',
      epoch: "e1",
    };
    assert.deepEqual(decode(encodeGapJson(gap)), { type: "gap", ...gap });
  });

  it("leaves out an unknown epoch", () => {
    const gap = { topic: "a", fromSeq: 1, toSeq: 1, reason: "r" };
    assert.deepEqual(decode(encodeGapJson(gap)), { type: "gap", ...gap });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CodecSpecError,
  compileTextCodec,
  createCodec,
} from "../../src/codecs/index.js";
import { codecSpec, frameOf, RECEIVED_AT } from "./helpers.js";

describe("compileTextCodec", () => {
  it("makes one text/plain message of each frame on the fixed topic", () => {
    const codec = compileTextCodec({ format: "text", topic: "chat.all" }, "c1");
    const result = codec(frameOf("hello, wörld {not json"));

    assert.deepEqual(result.failures, []);
    assert.equal(result.skipped, 0);
    assert.deepEqual(result.messages, [
      {
        topic: "chat.all",
        source: "c1",
        ingestTime: RECEIVED_AT,
        data: Buffer.from("hello, wörld {not json"),
        contentType: "text/plain",
      },
    ]);
  });

  it("keeps the bytes of binary frames as they came", () => {
    const codec = compileTextCodec({ format: "text", topic: "raw" }, "c1");
    const bytes = Buffer.from([0, 1, 0xff, 0xfe]);
    const [message] = codec(frameOf(bytes, { isBinary: true })).messages;
    assert.ok(message?.data.equals(bytes));
  });

  it("refuses an invalid topic when compiled", () => {
    assert.throws(
      () => compileTextCodec({ format: "text", topic: "chat room" }, "c1"),
      (err: unknown) =>
        err instanceof CodecSpecError && /"chat room"/.test(err.message),
    );
  });
});

describe("createCodec", () => {
  it("compiles a json spec", () => {
    const codec = createCodec(codecSpec({ format: "json", topic: "a.b" }), "s");
    const [message] = codec(frameOf({ x: 1 })).messages;
    assert.equal(message?.contentType, "application/json");
    assert.equal(message?.topic, "a.b");
  });

  it("compiles a text spec", () => {
    const codec = createCodec(codecSpec({ format: "text", topic: "a.b" }), "s");
    const [message] = codec(frameOf('{"x":1}')).messages;
    assert.equal(message?.contentType, "text/plain");
    assert.equal(message?.data.toString(), '{"x":1}');
  });
});

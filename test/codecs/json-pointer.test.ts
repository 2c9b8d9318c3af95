import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CodecSpecError, compilePointer } from "../../src/codecs/index.js";

const doc = {
  symbol: "BTC-USD",
  nested: { code: "ETH-USD", deeper: { n: 0, f: false, z: null } },
  list: [10, 20, { name: "third" }],
  "a/b": "slash",
  "m~n": "tilde",
  "~1": "literal tilde-one",
  "": "empty key",
};

describe("compilePointer", () => {
  it("reads the whole value for both '' and '/'", () => {
    assert.equal(compilePointer("")(doc), doc);
    assert.equal(compilePointer("/")(doc), doc);
    assert.equal(compilePointer("/")(42), 42);
  });

  it("reads members and nested members", () => {
    assert.equal(compilePointer("/symbol")(doc), "BTC-USD");
    assert.equal(compilePointer("/nested/code")(doc), "ETH-USD");
  });

  it("returns falsy values rather than treating them as missing", () => {
    assert.equal(compilePointer("/nested/deeper/n")(doc), 0);
    assert.equal(compilePointer("/nested/deeper/f")(doc), false);
    assert.equal(compilePointer("/nested/deeper/z")(doc), null);
  });

  it("reads array elements by canonical index", () => {
    assert.equal(compilePointer("/list/0")(doc), 10);
    assert.equal(compilePointer("/list/2/name")(doc), "third");
    assert.equal(compilePointer("/0")([7, 8]), 7);
  });

  it("reads non-canonical indices and '-' as missing", () => {
    for (const pointer of ["/list/01", "/list/-", "/list/3", "/list/x"]) {
      assert.equal(compilePointer(pointer)(doc), undefined, pointer);
    }
    assert.equal(compilePointer("/list/length")(doc), undefined);
  });

  it("unescapes ~1 to '/' and ~0 to '~', in that order", () => {
    assert.equal(compilePointer("/a~1b")(doc), "slash");
    assert.equal(compilePointer("/m~0n")(doc), "tilde");
    assert.equal(compilePointer("/~01")(doc), "literal tilde-one");
  });

  it("returns undefined for missing paths and through scalars", () => {
    assert.equal(compilePointer("/nope")(doc), undefined);
    assert.equal(compilePointer("/symbol/0")(doc), undefined);
    assert.equal(compilePointer("/nested/deeper/z/x")(doc), undefined);
    assert.equal(compilePointer("/a")(null), undefined);
    assert.equal(compilePointer("/a")("text"), undefined);
  });

  it("reads only own members, not the prototype's", () => {
    assert.equal(compilePointer("/constructor")(doc), undefined);
    assert.equal(compilePointer("/toString")({}), undefined);
    assert.equal(compilePointer("/__proto__")({}), undefined);
    const parsed = JSON.parse('{"__proto__":{"x":1}}');
    assert.equal(compilePointer("/__proto__/x")(parsed), 1);
  });

  it("reads the member named '' through a non-root pointer", () => {
    assert.equal(compilePointer("/nested/")({ nested: { "": 5 } }), 5);
  });

  it("rejects a pointer that does not start with '/'", () => {
    assert.throws(() => compilePointer("symbol"), {
      name: "CodecSpecError",
      message: /"symbol".*must start with "\/"/,
    });
  });

  it("rejects a '~' that is not ~0 or ~1", () => {
    for (const pointer of ["/a~2", "/a~", "/~/b", "/ok/~x"]) {
      assert.throws(
        () => compilePointer(pointer),
        (err: unknown) =>
          err instanceof CodecSpecError &&
          err.message.includes(JSON.stringify(pointer)) &&
          err.message.includes('"~" must be followed by 0 or 1'),
        pointer,
      );
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeClose,
  describeError,
  describeHttpStatus,
} from "../../src/sources/down-reason.js";

const context = { connectTimeoutMs: 500, maxFrameBytes: 64 };

function errnoError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

describe("describeError", () => {
  it("names the errno of a failed dial", () => {
    assert.equal(
      describeError(errnoError("ECONNREFUSED"), context),
      "connect refused: ECONNREFUSED",
    );
    assert.equal(
      describeError(errnoError("ENOTFOUND"), context),
      "connect failed: ENOTFOUND",
    );
    assert.equal(
      describeError(errnoError("ECONNRESET"), context),
      "socket error: ECONNRESET",
    );
  });

  it("keeps the message of errors without an errno", () => {
    assert.equal(describeError(new Error("boom"), context), "error: boom");
    assert.equal(describeError("odd", context), "error: odd");
    const nodeError = Object.assign(new Error("Invalid character"), {
      code: "ERR_INVALID_CHAR",
    });
    assert.equal(describeError(nodeError, context), "error: Invalid character");
  });
});

describe("describeHttpStatus", () => {
  it("names the status", () => {
    assert.equal(describeHttpStatus(503), "unexpected HTTP 503");
    assert.equal(describeHttpStatus(undefined), "unexpected HTTP response");
  });
});

describe("describeClose", () => {
  it("tells a lost connection from a close the upstream sent", () => {
    const none = Buffer.alloc(0);

    assert.equal(describeClose(1006, none), "connection lost: no close frame");
    assert.equal(describeClose(1005, none), "closed by upstream: no status");
    assert.equal(describeClose(1001, none), "closed by upstream: 1001");
    assert.equal(
      describeClose(4000, Buffer.from(" maintenance ")),
      "closed by upstream: 4000 maintenance",
    );
  });
});

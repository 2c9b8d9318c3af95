import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { balanceKey, cookieValue } from "../../src/proxy/balance-key.js";
import { closeReason } from "../../src/proxy/close-codes.js";
import { ReplayLog } from "../../src/proxy/replay-log.js";

function request(url: string, headers: Record<string, string>) {
  return { url, headers } as unknown as IncomingMessage;
}

describe("balanceKey", () => {
  const req = request("/p?room=7&x=", {
    "x-user": "u1",
    cookie: "a=1; sid=abc ; b=2",
  });

  it("reads the header, cookie or query parameter named", () => {
    assert.equal(balanceKey({ type: "hash", header: "X-User" }, req), "u1");
    assert.equal(balanceKey({ type: "hash", cookie: "sid" }, req), "abc");
    assert.equal(balanceKey({ type: "hash", query: "room" }, req), "7");
  });

  it("is undefined when absent or empty, and for other balancers", () => {
    assert.equal(
      balanceKey({ type: "hash", header: "x-none" }, req),
      undefined,
    );
    assert.equal(balanceKey({ type: "hash", query: "x" }, req), undefined);
    assert.equal(balanceKey({ type: "round-robin" }, req), undefined);
    assert.equal(cookieValue("novalue; =x", "novalue"), undefined);
  });
});

describe("ReplayLog", () => {
  const frame = (n: number) => Buffer.alloc(n, 1);

  it("keeps the first frames up to the count", () => {
    const log = new ReplayLog(2, 100);
    log.record(frame(1), false);
    log.record(frame(2), true);
    log.record(frame(3), false);

    assert.deepEqual(
      log.frames.map((f) => [f.data.length, f.binary]),
      [
        [1, false],
        [2, true],
      ],
    );
  });

  it("stops for good at the first frame over the byte bound", () => {
    const log = new ReplayLog(10, 10);
    log.record(frame(6), false);
    log.record(frame(6), false);
    log.record(frame(1), false);

    assert.deepEqual(
      log.frames.map((f) => f.data.length),
      [6],
    );
  });

  it("records nothing with a count of 0", () => {
    const log = new ReplayLog(0, 100);
    log.record(frame(1), false);
    assert.equal(log.frames.length, 0);
  });
});

describe("closeReason", () => {
  it("cuts long reasons to 123 bytes", () => {
    const cut = closeReason("é".repeat(100));
    assert.ok(Buffer.byteLength(cut) <= 123);
    assert.ok(cut.endsWith("..."));
    assert.equal(closeReason("short"), "short");
  });
});

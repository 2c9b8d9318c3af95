import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { WebSocket } from "ws";
import type { ProxySessionView } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import { EchoBackend, ProxyHarness, TestClient } from "./helpers.js";

const BOUND = 256 * 1024;
const MESSAGE = Buffer.alloc(64 * 1024, 7);
/** What the gateway may hold past the bound: one socket read, one message. */
const SLACK = 2 * MESSAGE.length;
const MESSAGES = 768; // 48 MiB, far more than loopback kernel buffers hold

/** Resolves once `read` returns the same value twice, 200 ms apart. */
async function settled(read: () => number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = read();
    if (now === last) return now;
    if (Date.now() > deadline) throw new Error("the flow never settled");
    last = now;
  }
}

describe("backpressure", () => {
  let backend: EchoBackend;
  let proxy: ProxyHarness | undefined;
  let client: TestClient | undefined;
  let sampler: NodeJS.Timeout | undefined;

  afterEach(async () => {
    clearInterval(sampler);
    client?.close();
    await proxy?.stop();
    proxy = undefined;
    await backend.stop();
  });

  async function connect() {
    backend = await new EchoBackend("b1").start();
    backend.echo = false;
    proxy = await new ProxyHarness([
      {
        id: "pool",
        path: "/pool",
        backends: [{ id: "b1", url: backend.url }],
        maxBufferedBytes: BOUND,
      },
    ]).start();
    client = await new TestClient(proxy.url("/pool")).opened();
    const session = backend.sessions[0]?.ws as WebSocket;
    return { c: client, session };
  }

  /** Records the largest value `pick` takes on the proxy's session. */
  function sampleMax(pick: (view: ProxySessionView) => number) {
    const max = { value: 0 };
    sampler = setInterval(() => {
      for (const view of proxy?.gateway.listSessions() ?? []) {
        max.value = Math.max(max.value, pick(view));
      }
    }, 2);
    return max;
  }

  it("stops reading the backend while the client does not read", async () => {
    const { c, session } = await connect();
    const maxBuffered = sampleMax((view) => view.bufferedToClient);
    c.ws.pause();

    for (let n = 0; n < MESSAGES; n++) session.send(MESSAGE);
    const stuck = await settled(() => session.bufferedAmount);

    const total = MESSAGES * MESSAGE.length;
    assert.ok(stuck > total / 2, `the backend could write ${total - stuck}`);
    assert.ok(maxBuffered.value > 0, "the proxy never buffered at all");
    assert.ok(
      maxBuffered.value <= BOUND + SLACK,
      `the proxy buffered ${maxBuffered.value} bytes`,
    );

    c.ws.resume();
    await waitFor(
      "every message",
      () => c.messages.length === MESSAGES,
      20_000,
    );
    assert.ok(c.messages.every((m) => m.bytes === MESSAGE.length));
  });

  it("stops reading the client while the backend does not read", async () => {
    const { c, session } = await connect();
    const maxBuffered = sampleMax((view) => view.bufferedToBackend);
    session.pause();

    for (let n = 0; n < MESSAGES; n++) c.ws.send(MESSAGE);
    const stuck = await settled(() => c.ws.bufferedAmount);

    const total = MESSAGES * MESSAGE.length;
    assert.ok(stuck > total / 2, `the client could write ${total - stuck}`);
    assert.ok(
      maxBuffered.value <= BOUND + SLACK,
      `the proxy buffered ${maxBuffered.value} bytes`,
    );

    session.resume();
    const received = backend.sessions[0]?.messages ?? [];
    await waitFor("every message", () => received.length === MESSAGES, 20_000);
  });
});

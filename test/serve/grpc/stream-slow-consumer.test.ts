import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type { StreamSession } from "../../../src/serve/grpc/index.js";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { coverage, range, StreamSubscriber } from "./stream-test-client.js";

/**
 * Enough data that a subscriber which stops reading fills its HTTP/2
 * window, its own read buffer and the gateway's queue behind them.
 */
const MESSAGES = 1500;
const PAYLOAD = "x".repeat(16 * 1024);
const CHUNK = 25;
const MAX_QUEUE = 50;

describe("a gRPC subscriber that stops reading", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  const subscribers: StreamSubscriber[] = [];
  let ws: TestClient | undefined;

  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    await ws?.close();
    await gw?.stop();
    await upstream.stop();
  });

  /**
   * Starts a gateway with `policy`, a healthy gRPC and WebSocket
   * subscriber and a paused gRPC one, and sends every message paced so
   * the healthy ones keep up. Returns the slow one and its session, and
   * the largest queue that session held at any chunk.
   */
  async function flood(policy: string) {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "big.t", data: "/" },
        },
      ],
      limits: {
        slowConsumerPolicy: policy,
        maxSessionQueueMessages: MAX_QUEUE,
      },
    });
    await waitFor("the source", () => upstream.clients.size === 1);
    const address = gw.grpcAddress;
    const healthy = await StreamSubscriber.subscribe(address, {
      patterns: ["big.t"],
    });
    // One event a response, so the paused client's own read buffer (16
    // responses) holds little and the backlog reaches the gateway.
    const slow = await StreamSubscriber.subscribe(address, {
      patterns: ["big.*"],
      maxBatch: 1,
    });
    subscribers.push(healthy, slow);
    slow.call.pause();
    const session = [...gw.gateway.grpcStreams.sessions.values()].at(-1);
    assert.ok(session);
    ws = await TestClient.connect(gw.wsUrl);
    await ws.subscribe(["big.t"]);

    let maxQueued = 0;
    for (let n = 1; n <= MESSAGES; n++) {
      upstream.send({ n, pad: PAYLOAD });
      if (n % CHUNK !== 0 && n !== MESSAGES) continue;
      await waitFor(
        `the healthy subscribers to receive ${n} messages`,
        () => healthy.messages().length === n && ws?.messages().length === n,
        10_000,
      );
      maxQueued = Math.max(maxQueued, session.delivery.queued);
    }
    assert.deepEqual(healthy.seqsOf("big.t"), range(1, MESSAGES));
    return { slow, session, maxQueued };
  }

  function assertBalanced(session: StreamSession): void {
    const d = session.delivery;
    assert.equal(d.accepted, MESSAGES);
    assert.equal(d.accepted, d.delivered + d.dropped + d.queued);
  }

  it("drops the oldest, bounded, and announces the loss", async () => {
    const { slow, session, maxQueued } = await flood("drop-oldest");

    assertBalanced(session);
    assert.ok(session.delivery.dropped > 0, "the slow subscriber lost some");
    assert.ok(maxQueued <= MAX_QUEUE, `queue held ${maxQueued}`);
    assert.ok(session.delivery.queued <= MAX_QUEUE);
    const view = gw?.gateway.control
      .listClients()
      .find((c) => c.id === session.id);
    assert.equal(view?.dropped, session.delivery.dropped);
    assert.equal(view?.queueDepth, session.delivery.queued);

    slow.call.resume();
    await waitFor("the slow subscriber to catch up", () => {
      return coverage(slow).at(-1) === MESSAGES;
    });
    assert.deepEqual(coverage(slow), range(1, MESSAGES), "no hole, no repeat");
    const gaps = slow.events.filter((e) => e.event?.$case === "gap");
    assert.ok(gaps.length > 0);
    for (const { event } of gaps) {
      assert.equal(
        event?.$case === "gap" && event.value.reason,
        "slow-consumer",
      );
    }
    assert.equal(
      slow.messages().length,
      MESSAGES - session.delivery.dropped,
      "every message not dropped arrived",
    );
  });

  it("ends the call with RESOURCE_EXHAUSTED under the disconnect policy", async () => {
    const { slow, session } = await flood("disconnect");

    assert.equal(session.ended, true);
    assert.equal(gw?.gateway.grpcStreams.sessions.has(session.id), false);
    assert.equal(gw?.gateway.fanout.index.match("big.t").length, 2);
    assert.equal(session.delivery.queued, 0, "the backlog was released");

    slow.call.resume();
    const err = await slow.failure();
    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^slow consumer: more than 50 messages/);
  });
});

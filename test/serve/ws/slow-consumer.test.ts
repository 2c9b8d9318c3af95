import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { coverage, underlying } from "./received.js";

/**
 * Enough data that a client which stops reading fills the kernel's socket
 * buffers (several MiB on loopback) and the gateway's queue behind them.
 */
const MESSAGES = 1500;
const PAYLOAD = "x".repeat(16 * 1024);
const KEYS = ["k0", "k1", "k2"];
const CHUNK = 25;

describe("a client that stops reading", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;

  afterEach(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  /**
   * Starts the gateway and both clients and sends every message; with
   * `afterChunk`, calls it after each chunk the healthy client received.
   */
  async function setUp(
    policy: string,
    afterChunk?: (slow: TestClient) => void,
  ) {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "big.t", key: "/k", data: "/" },
        },
      ],
      limits: { slowConsumerPolicy: policy, maxSessionQueueMessages: 50 },
    });
    await waitFor("the source", () => upstream.clients.size === 1);
    const healthy = await TestClient.connect(gw.wsUrl);
    const slow = await TestClient.connect(gw.wsUrl);
    await healthy.subscribe(["big.t"]);
    await slow.subscribe(["big.t"]);
    underlying(slow).pause();

    // Paced in chunks the healthy client keeps up with, so only the
    // client that stopped reading falls behind.
    for (let n = 1; n <= MESSAGES; n++) {
      upstream.send({ n, k: KEYS[n % KEYS.length], pad: PAYLOAD });
      if (n % CHUNK === 0 || n === MESSAGES) {
        await waitFor(
          `the healthy client to receive ${n} messages`,
          () => healthy.messages().length === n,
          10_000,
        );
        afterChunk?.(slow);
      }
    }
    return { healthy, slow };
  }

  function assertHealthy(healthy: TestClient) {
    const seqs = healthy.messages().map((m) => m.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: MESSAGES }, (_, i) => i + 1),
    );
    assert.equal(healthy.frames.filter((f) => f.type === "gap").length, 0);
  }

  it("drop-oldest: gaps announce exactly what was dropped", async () => {
    const { healthy, slow } = await setUp("drop-oldest");
    assertHealthy(healthy);

    const session = [...(gw?.gateway.ws.sessions.values() ?? [])].at(-1);
    const delivery = session?.delivery;
    assert.ok(delivery && delivery.dropped > 0, "the slow session dropped");
    assert.equal(
      delivery.accepted,
      delivery.delivered + delivery.dropped + delivery.queued,
    );

    underlying(slow).resume();
    await waitFor(
      "the slow client to catch up",
      () => coverage(slow.frames).length === MESSAGES,
      20_000,
    );
    assert.deepEqual(
      coverage(slow.frames),
      Array.from({ length: MESSAGES }, (_, i) => i + 1),
    );
    const gaps = slow.frames.filter((f) => f.type === "gap");
    assert.ok(gaps.every((g) => g.reason === "slow-consumer"));
    await healthy.close();
    await slow.close();
  });

  it("conflate: the latest message of each key survives", async () => {
    const { healthy, slow } = await setUp("conflate");
    assertHealthy(healthy);

    underlying(slow).resume();
    await waitFor(
      "the slow client to catch up",
      () => coverage(slow.frames).length === MESSAGES,
      20_000,
    );
    const last = slow.messages().slice(-KEYS.length);
    const lastNs = last
      .map((m) => (m.data as { n: number }).n)
      .sort((a, b) => a - b);
    assert.deepEqual(lastNs, [MESSAGES - 2, MESSAGES - 1, MESSAGES]);
    assert.ok(slow.frames.some((f) => f.type === "gap"));
    await healthy.close();
    await slow.close();
  });

  it("disconnect: the slow client is closed with 1008", async () => {
    // The close frame waits behind what the client has not read; the
    // client reads again as soon as its session overflowed (a disconnect
    // queue drops only then, all at once), so it can reach the frame
    // while the gateway still waits for it.
    let resumed = false;
    const resumeOnOverflow = (slow: TestClient) => {
      const slowSession = [...(gw?.gateway.ws.sessions.values() ?? [])][1];
      if (resumed || (slowSession?.delivery.dropped ?? 0) === 0) return;
      resumed = true;
      underlying(slow).resume();
    };
    const { healthy, slow } = await setUp("disconnect", resumeOnOverflow);
    assertHealthy(healthy);
    assert.ok(resumed, "the slow session overflowed during the flood");
    await waitFor("the close", () => slow.closed !== undefined, 5000);
    assert.equal(slow.closed?.code, 1008);
    assert.match(slow.closed?.reason ?? "", /slow consumer/);
    await healthy.close();
  });
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parseConfig } from "../../../src/config/index.js";
import type { WsSession } from "../../../src/serve/ws/index.js";
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
 * A low rate of small messages: the kernel's socket buffers would absorb
 * all of them, so only the missing pongs can tell that a client stopped.
 */
const PING_MS = 100;
const STALL_MS = 300;
const GAP_MS = 5;

function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("stall detection by ping/pong", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  const clients: TestClient[] = [];
  let sent = 0;

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await gw?.stop();
    gw = undefined;
    await upstream.stop();
    sent = 0;
  });

  async function setUp(limits: Record<string, unknown>) {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "low.t", data: "/" },
        },
      ],
      limits: {
        clientPingIntervalMs: PING_MS,
        stallTimeoutMs: STALL_MS,
        maxSessionQueueMessages: 20,
        ...limits,
      },
    });
    await waitFor("the source", () => upstream.clients.size === 1);
    const healthy = await connect();
    const slow = await connect();
    return { healthy, slow, sessions: sessions() };
  }

  async function connect(): Promise<TestClient> {
    const client = await TestClient.connect(gw?.wsUrl ?? "");
    clients.push(client);
    await client.subscribe(["low.t"]);
    return client;
  }

  function sessions(): WsSession[] {
    return [...(gw?.gateway.ws.sessions.values() ?? [])];
  }

  /** Sends `count` messages one every GAP_MS; `healthy` gets each. */
  async function feed(count: number, healthy: TestClient): Promise<void> {
    for (let i = 0; i < count; i++) {
      sent++;
      upstream.send({ n: sent });
      await pause(GAP_MS);
    }
    await waitFor(
      `the healthy client to receive ${sent} messages`,
      () => healthy.messages().length === sent,
    );
  }

  function assertHealthy(healthy: TestClient, session: WsSession) {
    assert.deepEqual(
      healthy.messages().map((m) => m.seq),
      oneTo(sent),
    );
    assert.equal(healthy.frames.filter((f) => f.type === "gap").length, 0);
    assert.equal(session.stats.stalls, 0);
    assert.equal(session.watch.stalled, false);
  }

  it("disconnect: closes a client that writes but reads nothing", async () => {
    const { healthy, slow, sessions } = await setUp({
      slowConsumerPolicy: "disconnect",
    });
    underlying(slow).pause();
    const pausedAt = Date.now();
    // Neither requests nor unsolicited pongs show that it reads.
    const chatter = setInterval(() => {
      slow.send({ type: "ping", id: "p" });
      slow.socket.pong("unsolicited");
      slow.socket.pong();
    }, 20);
    try {
      let detectedIn = Number.POSITIVE_INFINITY;
      const stalled = waitFor(
        "the stall",
        () => sessions[1]?.stats.stalls === 1,
        1500,
      ).then(() => {
        detectedIn = Date.now() - pausedAt;
      });
      // Both settle before the test ends, so a failure leaves no feed
      // running into the next test.
      const settled = await Promise.allSettled([stalled, feed(300, healthy)]);
      for (const result of settled) {
        if (result.status === "rejected") throw result.reason;
      }
      assert.ok(detectedIn < 1000, `detected after ${detectedIn} ms`);
      // It never answers the close frame either: the gateway cuts it
      // after a second's grace rather than ws's 30 s.
      await waitFor(
        "the slow session to be gone",
        () => !gw?.gateway.ws.sessions.has(sessions[1]?.id ?? ""),
        2500,
      );
    } finally {
      clearInterval(chatter);
    }
    assertHealthy(healthy, sessions[0] as WsSession);

    underlying(slow).resume();
    await waitFor("the close", () => slow.closed !== undefined);
    assert.equal(slow.closed?.code, 1008);
    assert.equal(slow.closed?.reason, "slow consumer: no pong in 300 ms");
  });

  it("drop-oldest: queues, drops with gaps, drains on the pong", async () => {
    const { healthy, slow, sessions } = await setUp({
      slowConsumerPolicy: "drop-oldest",
    });
    const session = sessions[1] as WsSession;
    underlying(slow).pause();
    await feed(300, healthy);

    assert.equal(session.watch.stalled, true);
    assert.equal(session.stats.stalls, 1);
    // What an operator sees: ListClients flags the slow one only.
    const listed = gw?.gateway.control.listClients() ?? [];
    assert.deepEqual(
      listed.map((c) => [c.id, c.stalled]),
      [
        [sessions[0]?.id, false],
        [session.id, true],
      ],
    );
    const stats = session.delivery;
    assert.ok(stats.dropped > 0, "the stalled session dropped messages");
    assert.ok(stats.queued <= 20, `queued ${stats.queued}`);
    assert.equal(
      stats.accepted,
      stats.delivered + stats.dropped + stats.queued,
    );

    underlying(slow).resume();
    await waitFor("the catch-up", () => coverage(slow.frames).length >= sent);
    assert.equal(session.watch.stalled, false);
    assert.equal(
      gw?.gateway.control.listClients().find((c) => c.id === session.id)
        ?.stalled,
      false,
    );
    // Once it answers again it is written to directly, not queued.
    const dropped = session.delivery.dropped;
    await feed(20, healthy);
    await waitFor(
      "the new messages",
      () => coverage(slow.frames).length >= sent,
    );
    assert.deepEqual(coverage(slow.frames), oneTo(sent));
    const gaps = slow.frames.filter((f) => f.type === "gap");
    assert.ok(gaps.length > 0);
    assert.ok(gaps.every((g) => g.reason === "slow-consumer"));
    assert.equal(session.delivery.queued, 0);
    assert.equal(session.delivery.dropped, dropped);
    assertHealthy(healthy, sessions[0] as WsSession);
  });

  it("conflate: a stalled client still gets the latest message", async () => {
    const { healthy, slow, sessions } = await setUp({
      slowConsumerPolicy: "conflate",
    });
    underlying(slow).pause();
    await feed(200, healthy);
    assert.ok((sessions[1]?.delivery.dropped ?? 0) > 0);

    underlying(slow).resume();
    await waitFor("the catch-up", () => coverage(slow.frames).length >= sent);
    assert.deepEqual(coverage(slow.frames), oneTo(sent));
    assert.equal(slow.messages().at(-1)?.seq, sent);
  });

  it("never marks a client that answers pings", async () => {
    const { healthy, slow, sessions } = await setUp({
      slowConsumerPolicy: "disconnect",
    });
    let pings = 0;
    healthy.socket.on("ping", () => pings++);
    await feed(300, healthy);

    assert.ok(pings >= 5, `only ${pings} pings in ${sent * GAP_MS} ms`);
    assertHealthy(healthy, sessions[0] as WsSession);
    assert.equal(slow.closed, undefined);
    assert.deepEqual(
      slow.messages().map((m) => m.seq),
      oneTo(sent),
    );
    assert.equal(sessions[1]?.stats.stalls, 0);
  });

  it("pings no client that was sent nothing", async () => {
    const { healthy } = await setUp({});
    const quiet = await TestClient.connect(gw?.wsUrl ?? "");
    clients.push(quiet);
    await quiet.subscribe(["other.topic"]);
    let busyPings = 0;
    let quietPings = 0;
    healthy.socket.on("ping", () => busyPings++);
    quiet.socket.on("ping", () => quietPings++);
    await feed(200, healthy);

    // About ten heartbeats passed: the busy client was pinged on most,
    // the quiet one never (TCP keepalive covers it).
    assert.ok(busyPings >= 5, `only ${busyPings} pings with traffic`);
    assert.equal(quietPings, 0);
  });

  it("sends no pings and detects nothing with an interval of 0", async () => {
    const { healthy, slow, sessions } = await setUp({
      slowConsumerPolicy: "disconnect",
      clientPingIntervalMs: 0,
    });
    let pings = 0;
    healthy.socket.on("ping", () => pings++);
    underlying(slow).pause();
    await feed(200, healthy);

    assert.equal(pings, 0);
    assert.equal(sessions[1]?.stats.stalls, 0);
    assert.equal(sessions[1]?.delivery.dropped, 0);
  });

  it("rejects bad ping and stall limits in the config", () => {
    const bad = [
      { clientPingIntervalMs: -1 },
      { clientPingIntervalMs: 1.5 },
      { stallTimeoutMs: 0 },
      { stallTimeoutMs: "5s" },
    ];
    for (const limits of bad) {
      assert.throws(() => parseConfig({ limits }), JSON.stringify(limits));
    }
    const { limits } = parseConfig({});
    assert.equal(limits.clientPingIntervalMs, 2000);
    assert.equal(limits.stallTimeoutMs, 2000);
  });
});

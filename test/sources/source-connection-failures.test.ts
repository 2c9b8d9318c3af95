import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { RawFrame } from "../../src/envelope/index.js";
import {
  SourceConnection,
  type SourceConnectionOptions,
  type SourceDown,
  type SourceHealth,
} from "../../src/sources/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import {
  captureLogger,
  freePort,
  recordHealth,
  sourceConfig,
  startSilentServer,
  startUpstream,
  type Upstream,
  waitFor,
} from "./helpers.js";

type Overrides = Parameters<typeof sourceConfig>[1];

/** The `down` states that scheduled a retry: failures, not "not started". */
function downs(states: SourceHealth[]): SourceDown[] {
  return states.filter(
    (h): h is SourceDown => h.state === "down" && h.retryInMs !== undefined,
  );
}

describe("SourceConnection failures", () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    // Sources first, so they do not reconnect to servers being closed.
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function upstreamOn(
    options: Parameters<typeof startUpstream>[0] = {},
  ): Promise<Upstream> {
    const up = await startUpstream(options);
    cleanups.push(() => up.close());
    return up;
  }

  function source(
    url: string,
    overrides: Overrides = {},
    options: Partial<SourceConnectionOptions> = {},
  ): { connection: SourceConnection; states: SourceHealth[] } {
    const config = sourceConfig(url, overrides);
    const logger = createSilentLogger();
    const connection = new SourceConnection(config, { logger, ...options });
    cleanups.push(() => connection.stop());
    const states = recordHealth(connection);
    connection.start();
    return { connection, states };
  }

  it("reconnects when the upstream restarts on the same port", async () => {
    const first = await startUpstream();
    const { connection, states } = source(first.url);
    const frames: RawFrame[] = [];
    connection.frames.subscribe((frame) => frames.push(frame));
    await waitFor(() => first.peers.length === 1, "first connection");
    first.broadcast("before");
    await waitFor(() => frames.length === 1, "the first frame");

    await first.close();
    await waitFor(() => downs(states).length > 0, "down");
    const second = await upstreamOn({ port: first.port });
    await waitFor(() => second.peers.length === 1, "reconnection");
    second.broadcast("after");
    await waitFor(() => frames.length === 2, "the second frame");

    assert.deepEqual(
      frames.map((frame) => frame.data.toString()),
      ["before", "after"],
    );
    assert.equal(downs(states)[0]?.reason, "connection lost: no close frame");
    assert.equal(connection.currentHealth.state, "up");
    assert.equal(connection.stats.connects, 2);
  });

  it("reports the close code and reason the upstream sent", async () => {
    const up = await upstreamOn();
    const { states } = source(up.url);
    await waitFor(() => up.peers.length === 1, "a connection");

    up.peers[0]?.ws.close(1011, "overloaded");
    await waitFor(() => downs(states).length > 0, "down");

    assert.equal(
      downs(states)[0]?.reason,
      "closed by upstream: 1011 overloaded",
    );
    await waitFor(() => up.peers.length === 2, "a reconnection");
  });

  it("retries a refused port until a server listens on it", async () => {
    const port = await freePort();
    const { logger, lines } = captureLogger();
    const url = `ws://127.0.0.1:${port}/feed`;
    const { connection, states } = source(url, {}, { logger });

    await waitFor(() => downs(states).length >= 2, "two refused dials");
    const refused = downs(states)[0];
    assert.ok(refused?.retryInMs !== undefined, "a retry is scheduled");
    assert.equal(refused.reason, "connect refused: ECONNREFUSED");
    assert.equal(refused.nextRetryAt, refused.since + refused.retryInMs);
    const line = lines.find((l) => l.msg === "source down");
    assert.equal(line?.level, 40);
    assert.equal(line?.source, "test-source");
    assert.equal(line?.url, url);
    assert.equal(line?.reason, "connect refused: ECONNREFUSED");
    assert.equal(line?.retryInMs, refused.retryInMs);
    assert.equal(line?.nextRetryAt, refused.nextRetryAt);

    const up = await upstreamOn({ port });
    await waitFor(() => connection.currentHealth.state === "up", "up");
    assert.equal(up.peers.length, 1);
  });

  it("goes down with the HTTP status when the upgrade is refused", async () => {
    const up = await upstreamOn({ rejectStatus: 403 });
    const { connection, states } = source(up.url);

    await waitFor(() => downs(states).length >= 2, "two refused upgrades");

    assert.equal(downs(states)[0]?.reason, "unexpected HTTP 403");
    assert.equal(downs(states)[1]?.reason, "unexpected HTTP 403");
    assert.equal(connection.stats.connects, 0);
  });

  it("goes down with handshake timeout when nothing answers", async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const url = `ws://127.0.0.1:${silent.port}/`;
    const { states } = source(url, { connectTimeoutMs: 100 });

    await waitFor(() => downs(states).length > 0, "down");

    assert.equal(downs(states)[0]?.reason, "handshake timeout (100ms)");
    assert.ok(downs(states)[0]?.retryInMs !== undefined, "retry scheduled");
  });

  it("drops an over-size frame, goes down and reconnects", async () => {
    const up = await upstreamOn();
    const { connection, states } = source(up.url, {}, { maxFrameBytes: 1024 });
    const frames: RawFrame[] = [];
    connection.frames.subscribe((frame) => frames.push(frame));
    await waitFor(() => up.peers.length === 1, "a connection");

    up.broadcast("x".repeat(1025));
    await waitFor(() => up.peers.length === 2, "a reconnection");
    await waitFor(() => connection.currentHealth.state === "up", "up");
    up.broadcast("x".repeat(1024));
    await waitFor(() => frames.length === 1, "a frame at the limit");

    assert.equal(
      downs(states)[0]?.reason,
      "frame too large (limit 1024 bytes)",
    );
    assert.equal(frames[0]?.data.length, 1024);
  });

  it("survives an upstream that breaks the protocol", async () => {
    const up = await upstreamOn();
    const { connection, states } = source(up.url);
    await waitFor(() => up.peers.length === 1, "a connection");

    // A final frame with reserved opcode 3 and no payload.
    up.peers[0]?.socket.write(Buffer.from([0x83, 0x00]));
    await waitFor(() => downs(states).length > 0, "down");
    await waitFor(() => connection.currentHealth.state === "up", "back up");

    assert.equal(
      downs(states)[0]?.reason,
      "protocol error: Invalid WebSocket frame: invalid opcode 3",
    );
  });

  it("goes down without throwing on a header the client rejects", async () => {
    const up = await upstreamOn();
    const headers = { "x-bad": "line\nbreak" };

    const { connection, states } = source(up.url, { headers });
    await waitFor(() => downs(states).length >= 2, "two failed dials");

    assert.match(downs(states)[0]?.reason ?? "", /^error: .*header/i);
    assert.equal(connection.stats.connects, 0);
    assert.equal(up.peers.length, 0);
  });

  it("backs off further while the upstream closes at once", async () => {
    const up = await upstreamOn({
      onConnection: (ws) => ws.close(1013, "try again later"),
    });
    const { states } = source(
      up.url,
      { reconnect: { initialDelayMs: 50, maxDelayMs: 300, multiplier: 2 } },
      { random: () => 0.5 },
    );

    await waitFor(() => downs(states).length >= 4, "four closes", 5_000);

    const delays = downs(states).map((down) => down.retryInMs);
    assert.deepEqual(delays.slice(0, 4), [25, 50, 100, 150]);
    assert.equal(
      downs(states)[0]?.reason,
      "closed by upstream: 1013 try again later",
    );
  });
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  SourceConnection,
  type SourceHealth,
} from "../../src/sources/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import {
  freePort,
  recordHealth,
  sourceConfig,
  startSilentServer,
  startUpstream,
  waitFor,
} from "./helpers.js";

type Overrides = Parameters<typeof sourceConfig>[1];

/** Timers alive in this process; a stopped source must leave none. */
function activeTimers(): number {
  const resources = process.getActiveResourcesInfo();
  return resources.filter((name) => name === "Timeout").length;
}

describe("SourceConnection liveness", () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function setup(
    overrides: Overrides = {},
    upstreamOptions: Parameters<typeof startUpstream>[0] = {},
  ) {
    const up = await startUpstream(upstreamOptions);
    cleanups.push(() => up.close());
    const config = sourceConfig(up.url, overrides);
    const connection = new SourceConnection(config, {
      logger: createSilentLogger(),
    });
    cleanups.push(() => connection.stop());
    const states = recordHealth(connection);
    connection.start();
    await waitFor(() => connection.currentHealth.state === "up", "up");
    return { up, connection, states };
  }

  describe("staleness", () => {
    it("goes stale without frames and up on the next frame", async () => {
      const { up, connection, states } = await setup({ staleAfterMs: 100 });

      await waitFor(() => connection.currentHealth.state === "stale", "stale");
      assert.equal(connection.currentHealth.reason, "no frame in 100ms");
      assert.equal(up.peers[0]?.ws.readyState, up.peers[0]?.ws.OPEN);
      up.broadcast("tick");
      await waitFor(() => connection.currentHealth.state === "up", "up");

      const tail = states.slice(-3).map((h) => [h.state, h.reason]);
      assert.deepEqual(tail, [
        ["up", "connected"],
        ["stale", "no frame in 100ms"],
        ["up", "frame received"],
      ]);
      assert.equal(connection.stats.connects, 1);
    });

    it("stays up while frames keep arriving", async () => {
      const { up, connection, states } = await setup({ staleAfterMs: 150 });
      let frames = 0;
      connection.frames.subscribe(() => frames++);

      // 25 ticks 20ms apart outlast staleAfterMs three times over.
      const ticker = setInterval(() => up.broadcast("tick"), 20);
      await waitFor(() => frames >= 25, "25 ticks").finally(() =>
        clearInterval(ticker),
      );

      assert.ok(!states.some((h) => h.state === "stale"), "never stale");
    });
  });

  describe("heartbeat", () => {
    it("drops a link whose pings go unanswered", async () => {
      const ping = { type: "ping", intervalMs: 50 } as const;
      const { up, connection, states } = await setup(
        { heartbeat: ping },
        { autoPong: false },
      );

      await waitFor(() => up.peers.length >= 2, "a reconnection");

      const down = states.find(
        (h) => h.state === "down" && h.retryInMs !== undefined,
      );
      assert.equal(down?.reason, "heartbeat timeout: no pong in 50ms");
      assert.ok((up.peers[0]?.pings() ?? 0) >= 1, "the first ping arrived");
      assert.ok(connection.stats.disconnects >= 1);
    });

    it("keeps a link whose pings are answered", async () => {
      const ping = { type: "ping", intervalMs: 40 } as const;
      const { up, connection } = await setup({ heartbeat: ping });

      await waitFor(() => (up.peers[0]?.pings() ?? 0) >= 4, "four pings");

      assert.equal(connection.currentHealth.state, "up");
      assert.equal(connection.stats.connects, 1);
    });

    it("sends the heartbeat frame every intervalMs", async () => {
      const heartbeat = {
        type: "frame",
        intervalMs: 20,
        frame: { op: "ping" },
      } as const;
      const { up } = await setup({ heartbeat, subscribe: ["sub"] });

      await waitFor(() => (up.peers[0]?.received.length ?? 0) >= 3, "beats");

      assert.deepEqual(up.peers[0]?.received.slice(0, 3), [
        "sub",
        '{"op":"ping"}',
        '{"op":"ping"}',
      ]);
    });
  });

  describe("stop()", () => {
    it("closes the socket, completes and leaves no timer", async () => {
      const baseline = activeTimers();
      const { up, connection } = await setup({
        staleAfterMs: 1_000,
        heartbeat: { type: "ping", intervalMs: 1_000 },
      });
      let completed = 0;
      const done = { complete: () => completed++ };
      connection.frames.subscribe(done);
      connection.health.subscribe(done);

      assert.ok(activeTimers() > baseline, "heartbeat and stale timers");
      const stopping = connection.stop();
      assert.equal(connection.stop(), stopping, "the same promise");
      await stopping;

      assert.equal(completed, 2);
      assert.equal(connection.currentHealth.state, "down");
      assert.equal(connection.currentHealth.reason, "stopped");
      await waitFor(() => up.peers[0]?.ws.readyState === 3, "peer closed");
      assert.equal(activeTimers(), baseline);
      assert.throws(() => connection.start(), /was stopped/);
    });

    it("cancels a scheduled retry", async () => {
      const baseline = activeTimers();
      const port = await freePort();
      const reconnect = {
        initialDelayMs: 60_000,
        maxDelayMs: 60_000,
        multiplier: 2,
      };
      const config = sourceConfig(`ws://127.0.0.1:${port}/`, { reconnect });
      const logger = createSilentLogger();
      const connection = new SourceConnection(config, {
        logger,
        random: () => 0.9,
      });
      const states = recordHealth(connection);
      const scheduled = (h: SourceHealth) =>
        h.state === "down" && h.retryInMs !== undefined;

      connection.start();
      await waitFor(() => states.some(scheduled), "retry scheduled");
      assert.equal(activeTimers(), baseline + 1, "the retry timer");
      await connection.stop();

      assert.equal(activeTimers(), baseline);
      assert.equal(connection.currentHealth.reason, "stopped");
    });

    it("may be called from a health subscriber", async () => {
      const baseline = activeTimers();
      const port = await freePort();
      const config = sourceConfig(`ws://127.0.0.1:${port}/`);
      const connection = new SourceConnection(config, {
        logger: createSilentLogger(),
      });
      let stopping: Promise<void> | undefined;
      connection.health.subscribe((health) => {
        if (health.state === "down" && health.retryInMs !== undefined) {
          stopping = connection.stop();
        }
      });

      connection.start();
      await waitFor(() => stopping !== undefined, "the first down");
      await stopping;

      assert.equal(connection.currentHealth.reason, "stopped");
      assert.equal(activeTimers(), baseline, "no retry left behind");
    });

    it("aborts a dial in progress", async () => {
      const silent = await startSilentServer();
      cleanups.push(() => silent.close());
      const baseline = activeTimers();
      const config = sourceConfig(`ws://127.0.0.1:${silent.port}/`);
      const connection = new SourceConnection(config, {
        logger: createSilentLogger(),
      });

      connection.start();
      assert.equal(connection.currentHealth.state, "connecting");
      await connection.stop();

      assert.equal(connection.currentHealth.reason, "stopped");
      assert.equal(activeTimers(), baseline);
    });
  });
});

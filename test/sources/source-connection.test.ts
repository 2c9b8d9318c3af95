import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { RawFrame } from "../../src/envelope/index.js";
import { SourceConnection } from "../../src/sources/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import {
  captureLogger,
  recordHealth,
  sourceConfig,
  startUpstream,
  type Upstream,
  waitFor,
} from "./helpers.js";

describe("SourceConnection", () => {
  let upstream: Upstream | undefined;
  let connection: SourceConnection | undefined;

  afterEach(async () => {
    await connection?.stop();
    await upstream?.close();
    connection = undefined;
    upstream = undefined;
  });

  async function connect(
    overrides: Parameters<typeof sourceConfig>[1] = {},
    logger = createSilentLogger(),
  ): Promise<{ up: Upstream; source: SourceConnection }> {
    const up = await startUpstream();
    upstream = up;
    const source = new SourceConnection(sourceConfig(up.url, overrides), {
      logger,
    });
    connection = source;
    source.start();
    await waitFor(() => source.currentHealth.state === "up", "source up");
    return { up, source };
  }

  describe("subscribe", () => {
    const subscribe = ["hello", { op: "sub", ch: "trades" }, ["a", 1]];
    const expected = ["hello", '{"op":"sub","ch":"trades"}', '["a",1]'];

    it("sends every subscribe frame in order after connecting", async () => {
      const { up } = await connect({ subscribe });

      await waitFor(() => up.peers[0]?.received.length === 3, "3 frames");

      assert.deepEqual(up.peers[0]?.received, expected);
    });

    it("sends the subscribe frames again after a reconnect", async () => {
      const { up, source } = await connect({ subscribe });
      await waitFor(() => up.peers[0]?.received.length === 3, "3 frames");

      up.peers[0]?.ws.terminate();
      await waitFor(() => up.peers[1]?.received.length === 3, "resubscribe");

      assert.deepEqual(up.peers[1]?.received, expected);
      assert.equal(source.stats.connects, 2);
      assert.equal(source.stats.disconnects, 1);
    });
  });

  it("sends the configured headers with the upgrade request", async () => {
    const headers = { authorization: "Bearer abc", "x-api-key": "k1" };

    const { up } = await connect({ headers });

    assert.equal(up.peers[0]?.headers.authorization, "Bearer abc");
    assert.equal(up.peers[0]?.headers["x-api-key"], "k1");
  });

  it("emits text and binary frames as RawFrames", async () => {
    const { up, source } = await connect();
    const frames: RawFrame[] = [];
    source.frames.subscribe((frame) => frames.push(frame));
    const before = Date.now();

    up.broadcast("hi there");
    up.broadcast(Buffer.from([0, 1, 2, 255]));
    await waitFor(() => frames.length === 2, "2 frames");

    const [text, binary] = frames;
    assert.equal(text?.source, "test-source");
    assert.equal(text?.isBinary, false);
    assert.equal(text?.data.toString("utf8"), "hi there");
    assert.equal(binary?.isBinary, true);
    assert.deepEqual([...(binary?.data ?? [])], [0, 1, 2, 255]);
    assert.ok((text?.receivedAt ?? 0) >= before);
    assert.ok((binary?.receivedAt ?? Infinity) <= Date.now());
    assert.equal(source.stats.frames, 2);
    assert.equal(source.stats.bytes, 8 + 4);
    assert.equal(source.stats.lastFrameAt, binary?.receivedAt);
  });

  it("stamps frames and health with the injected clock", async () => {
    const up = await startUpstream();
    upstream = up;
    const source = new SourceConnection(sourceConfig(up.url), {
      logger: createSilentLogger(),
      now: () => 1_234,
    });
    connection = source;
    const frames: RawFrame[] = [];
    source.frames.subscribe((frame) => frames.push(frame));

    source.start();
    await waitFor(() => source.currentHealth.state === "up", "source up");
    up.broadcast("x");
    await waitFor(() => frames.length === 1, "a frame");

    assert.equal(frames[0]?.receivedAt, 1_234);
    assert.equal(source.currentHealth.since, 1_234);
  });

  it("send() writes upstream only while connected", async () => {
    const up = await startUpstream();
    upstream = up;
    const source = new SourceConnection(sourceConfig(up.url), {
      logger: createSilentLogger(),
    });
    connection = source;

    assert.equal(source.send("too early"), false);
    source.start();
    await waitFor(() => source.currentHealth.state === "up", "source up");
    assert.equal(source.send('{"op":"sub","ch":"more"}'), true);
    await waitFor(() => up.peers[0]?.received.length === 1, "the frame");
    await source.stop();

    assert.deepEqual(up.peers[0]?.received, ['{"op":"sub","ch":"more"}']);
    assert.equal(source.send("too late"), false);
  });

  it("replays the current health to a late subscriber", async () => {
    const { source } = await connect();

    const states = recordHealth(source);

    assert.deepEqual(
      states.map((health) => health.state),
      ["up"],
    );
    assert.equal(states[0]?.reason, "connected");
  });

  it("goes through connecting to up, logged with id and url", async () => {
    const { logger, lines } = captureLogger();
    const { source } = await connect({}, logger);

    const upLine = lines.find((line) => line.msg === "source up");
    const connecting = lines.find((line) => line.msg === "source connecting");

    assert.ok(connecting, "a connecting line");
    assert.ok(upLine, "an up line");
    assert.equal(upLine.level, 30);
    assert.equal(upLine.source, "test-source");
    assert.equal(upLine.from, "connecting");
    assert.equal(upLine.to, "up");
    assert.equal(upLine.reason, "connected");
    // The query string carries the token: it must not reach the logs.
    assert.equal(upLine.url, `ws://127.0.0.1:${upstream?.port}/feed`);
    assert.equal(source.stats.connects, 1);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";

const MAX_FRAME = 4096;

describe("client WebSocket protocol", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;

  before(async () => {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "{/a}.{/b}", data: "/d" },
        },
      ],
      limits: { maxClientFrameBytes: MAX_FRAME, maxSubscriptionsPerSession: 3 },
    });
    await waitFor("the source to connect", () => upstream.clients.size === 1);
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  /** Publishes a message on `topic` and waits until `client` has it. */
  async function publishTo(client: TestClient, topic: string, n: number) {
    const [a, b] = topic.split(".");
    upstream.send({ a, b, d: { n } });
    await waitFor(`message ${n} on ${topic}`, () =>
      client.messages().some((m) => (m.data as { n: number }).n === n),
    );
  }

  it("answers ping with pong echoing the id", async () => {
    const client = await TestClient.connect(gw.wsUrl);
    const reply = await client.request({ type: "ping", id: "p1" });
    assert.deepEqual(reply, { type: "pong", id: "p1" });
    await client.close();
  });

  it("negotiates tributary.v1.json and refuses unknown subprotocols", async () => {
    const client = await TestClient.connect(gw.wsUrl, ["tributary.v1.json"]);
    assert.equal(client.socket.protocol, "tributary.v1.json");
    await client.close();

    const refused = new WebSocket(gw.wsUrl, ["mqtt"]);
    const status = await new Promise<number>((resolve) => {
      refused.on("unexpected-response", (_req, res) =>
        resolve(res.statusCode ?? 0),
      );
      refused.on("error", () => {});
    });
    assert.equal(status, 400);
  });

  it("delivers a subscribed topic with seq, epoch, source and inline data", async () => {
    const client = await TestClient.connect(gw.wsUrl);
    const reply = await client.subscribe(["quotes.EUR"]);
    assert.deepEqual(reply.topics, ["quotes.EUR"]);

    await publishTo(client, "quotes.EUR", 1);
    await publishTo(client, "quotes.EUR", 2);

    const [first, second] = client.messages();
    assert.equal(first?.topic, "quotes.EUR");
    assert.equal(first?.source, "feed");
    assert.deepEqual(first?.data, { n: 1 });
    assert.equal(typeof first?.epoch, "string");
    assert.equal(second?.epoch, first?.epoch);
    assert.equal(second?.seq, (first?.seq as number) + 1);
    await client.close();
  });

  it("stops delivering after unsubscribe", async () => {
    const client = await TestClient.connect(gw.wsUrl);
    const watcher = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["quotes.GBP"]);
    await watcher.subscribe(["quotes.GBP"]);
    await publishTo(client, "quotes.GBP", 10);

    const reply = await client.request({
      type: "unsubscribe",
      topics: ["quotes.GBP"],
    });
    assert.equal(reply.type, "unsubscribed");
    await publishTo(watcher, "quotes.GBP", 11);

    assert.deepEqual(
      client.messages().map((m) => (m.data as { n: number }).n),
      [10],
    );
    await client.close();
    await watcher.close();
  });

  describe("bad input", () => {
    /** Sends `frame` and returns the error reply; the session must live on. */
    async function expectError(frame: string, id?: string) {
      const client = await TestClient.connect(gw.wsUrl);
      client.send(frame);
      await waitFor("an error frame", () =>
        client.frames.some((f) => f.type === "error"),
      );
      const error = client.frames.find((f) => f.type === "error");
      const pong = await client.request({ type: "ping" });
      assert.equal(pong.type, "pong", "the session keeps serving");
      await client.close();
      if (id !== undefined) assert.equal(error?.id, id);
      return { code: String(error?.code), message: String(error?.message) };
    }

    it("answers malformed JSON with BAD_JSON", async () => {
      const error = await expectError('{"type":"subscribe",');
      assert.equal(error.code, "BAD_JSON");
    });

    it("answers a non-object with BAD_REQUEST", async () => {
      const error = await expectError("[1,2]");
      assert.equal(error.code, "BAD_REQUEST");
    });

    it("answers an unknown type with UNKNOWN_TYPE and echoes the id", async () => {
      const error = await expectError('{"type":"publish","id":"7"}', "7");
      assert.equal(error.code, "UNKNOWN_TYPE");
      assert.match(error.message, /publish/);
    });

    it("answers a wrong field type with BAD_REQUEST naming the field", async () => {
      const frame = '{"type":"subscribe","id":"8","topics":"trades.*"}';
      const error = await expectError(frame, "8");
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^topics/);
    });

    it("answers an invalid pattern with INVALID_PATTERN naming the token", async () => {
      const frame = JSON.stringify({
        type: "subscribe",
        id: "9",
        topics: ["ok.topic", "trades.>.BTC"],
      });
      const error = await expectError(frame, "9");
      assert.equal(error.code, "INVALID_PATTERN");
      assert.match(error.message, />/);
    });

    it("subscribes to nothing when one pattern of a request is invalid", async () => {
      const client = await TestClient.connect(gw.wsUrl);
      const reply = await client.request({
        type: "subscribe",
        topics: ["quotes.CHF", "bad token"],
      });
      assert.equal(reply.type, "error");
      const watcher = await TestClient.connect(gw.wsUrl);
      await watcher.subscribe(["quotes.CHF"]);
      await publishTo(watcher, "quotes.CHF", 20);
      assert.equal(client.messages().length, 0);
      await client.close();
      await watcher.close();
    });

    it("answers a binary frame with UNSUPPORTED_FRAME", async () => {
      const client = await TestClient.connect(gw.wsUrl);
      client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      await waitFor("an error frame", () =>
        client.frames.some((f) => f.code === "UNSUPPORTED_FRAME"),
      );
      assert.equal((await client.request({ type: "ping" })).type, "pong");
      await client.close();
    });

    it("refuses subscriptions past the per-session limit", async () => {
      const client = await TestClient.connect(gw.wsUrl);
      await client.subscribe(["a.1", "a.2"]);
      const reply = await client.request({
        type: "subscribe",
        topics: ["a.3", "a.4"],
      });
      assert.equal(reply.type, "error");
      assert.equal(reply.code, "TOO_MANY_SUBSCRIPTIONS");
      await client.subscribe(["a.3"]);
      await client.close();
    });

    it("closes with 1009 on an oversize frame and keeps serving others", async () => {
      const watcher = await TestClient.connect(gw.wsUrl);
      await watcher.subscribe(["quotes.JPY"]);
      const client = await TestClient.connect(gw.wsUrl);
      client.send(JSON.stringify({ type: "ping", pad: "x".repeat(MAX_FRAME) }));
      await waitFor("the oversize client to be closed", () => !!client.closed);
      assert.equal(client.closed?.code, 1009);

      await publishTo(watcher, "quotes.JPY", 30);
      await watcher.close();
    });
  });

  it("rejects upgrades on other paths with 404", async () => {
    const socket = new WebSocket(gw.wsUrl.replace("/ws", "/nope"));
    const status = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_req, res) =>
        resolve(res.statusCode ?? 0),
      );
      socket.on("error", () => {});
    });
    assert.equal(status, 404);
  });

  it("serves /healthz and /readyz on the same port", async () => {
    const health = await fetch(`${gw.httpUrl}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${gw.httpUrl}/readyz`);
    assert.equal(ready.status, 200);
  });
});

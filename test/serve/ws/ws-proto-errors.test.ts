import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import type { ErrorFrame } from "../../../src/gen/tributary/v1/client_protocol.js";
import { TestClient } from "../../support/client.js";
import { type RunningGateway, startGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait-for.js";
import { PROTO, type ProtoRequest, ProtoTestClient } from "./proto-client.js";

const JSON_PROTOCOL = "tributary.v1.json";

describe("binary subprotocol: negotiation and bad input", () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startGateway({
      sources: [],
      limits: { maxSubscriptionsPerSession: 3 },
    });
  });

  after(async () => {
    await gw.stop();
  });

  /** The subprotocol the gateway's session for the newest client runs. */
  function newestSessionProtocol(): string | undefined {
    return [...gw.gateway.ws.sessions.values()].at(-1)?.protocol;
  }

  describe("negotiation", () => {
    it("chooses tributary.v1.proto when the client asks for it", async () => {
      const client = await ProtoTestClient.connect(gw.wsUrl, [PROTO]);

      assert.equal(client.socket.protocol, PROTO);
      assert.equal(newestSessionProtocol(), PROTO);
      await client.close();
    });

    it("takes the first subprotocol the client lists that it speaks", async () => {
      const cases = [
        [[PROTO, JSON_PROTOCOL], PROTO],
        [[JSON_PROTOCOL, PROTO], JSON_PROTOCOL],
        [["mqtt", PROTO, JSON_PROTOCOL], PROTO],
      ] as const;
      for (const [offered, expected] of cases) {
        const client = await TestClient.connect(gw.wsUrl, [...offered]);
        assert.equal(client.socket.protocol, expected, offered.join(","));
        await client.close();
      }
    });

    it("speaks JSON text when the client asks for no subprotocol", async () => {
      const client = await TestClient.connect(gw.wsUrl);

      const reply = await client.request({ type: "ping", id: "j1" });

      assert.equal(client.socket.protocol, "");
      assert.equal(newestSessionProtocol(), JSON_PROTOCOL);
      assert.deepEqual(reply, { type: "pong", id: "j1" });
      await client.close();
    });

    it("refuses a client that offers only unknown subprotocols", async () => {
      const refused = new WebSocket(gw.wsUrl, ["tributary.v2.proto"]);
      const status = await new Promise<number>((resolve) => {
        refused.on("unexpected-response", (_req, res) =>
          resolve(res.statusCode ?? 0),
        );
        refused.on("error", () => {});
      });

      assert.equal(status, 400);
    });
  });

  describe("bad input", () => {
    /**
     * Sends `send(client)`, waits for the error frame and checks that the
     * session still answers a ping afterwards.
     */
    async function expectError(
      send: (client: ProtoTestClient) => void,
    ): Promise<{ id: string; error: ErrorFrame }> {
      const client = await ProtoTestClient.connect(gw.wsUrl);
      send(client);
      await waitFor("an error frame", () =>
        client.frames.some((f) => f.frame?.$case === "error"),
      );
      const frame = client.frames.find((f) => f.frame?.$case === "error");
      const pong = await client.request({ $case: "ping", value: {} });
      await client.close();

      assert.equal(pong.frame?.$case, "pong", "the session keeps serving");
      assert.deepEqual(client.textFrames, [], "no text frame is ever sent");
      const error = frame?.frame?.value as ErrorFrame;
      return { id: frame?.id ?? "", error };
    }

    /** Sends a request with id `e1` and expects an error with that id. */
    async function expectRefused(request: ProtoRequest): Promise<ErrorFrame> {
      const { id, error } = await expectError((c) =>
        c.send({ id: "e1", request }),
      );
      assert.equal(id, "e1");
      return error;
    }

    it("answers a text frame with UNSUPPORTED_FRAME", async () => {
      const { error } = await expectError((c) =>
        c.socket.send('{"type":"ping"}'),
      );

      assert.equal(error.code, "UNSUPPORTED_FRAME");
      assert.match(error.message, /text frames/);
    });

    it("answers undecodable bytes with BAD_REQUEST and the decode error", async () => {
      const bytes = Buffer.from([0x0a, 0xff]);
      const { id, error } = await expectError((c) =>
        c.socket.send(bytes, { binary: true }),
      );

      assert.equal(id, "");
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^malformed ClientFrame: premature EOF/);
    });

    it("answers a frame without a request with BAD_REQUEST", async () => {
      const { id, error } = await expectError((c) => c.send({ id: "e2" }));

      assert.equal(id, "e2");
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^request: required/);
    });

    it("answers an empty binary frame with BAD_REQUEST", async () => {
      const { error } = await expectError((c) =>
        c.socket.send(Buffer.alloc(0), { binary: true }),
      );

      assert.equal(error.code, "BAD_REQUEST");
    });

    it("answers an invalid pattern with INVALID_PATTERN naming the token", async () => {
      const error = await expectRefused({
        $case: "subscribe",
        value: { topics: ["ok.topic", "trades.>.BTC"], resume: {} },
      });

      assert.equal(error.code, "INVALID_PATTERN");
      assert.match(error.message, />/);
    });

    it("answers a subscribe without topics with BAD_REQUEST naming the field", async () => {
      const error = await expectRefused({
        $case: "subscribe",
        value: { topics: [], resume: {} },
      });

      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^topics: at least one topic/);
    });

    it("answers an invalid pattern in unsubscribe with INVALID_PATTERN", async () => {
      const error = await expectRefused({
        $case: "unsubscribe",
        value: { topics: ["bad token"] },
      });

      assert.equal(error.code, "INVALID_PATTERN");
    });

    it("answers a resume key that is not a topic with INVALID_TOPIC", async () => {
      const error = await expectRefused({
        $case: "subscribe",
        value: {
          topics: ["trades.*"],
          resume: { "trades.*": { epoch: "e1", seq: 3 } },
        },
      });

      assert.equal(error.code, "INVALID_TOPIC");
      assert.match(error.message, /^resume: /);
    });

    it("answers a resume point without epoch with BAD_REQUEST", async () => {
      const error = await expectRefused({
        $case: "subscribe",
        value: {
          topics: ["trades.X"],
          resume: { "trades.X": { epoch: "", seq: 3 } },
        },
      });

      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^resume\["trades\.X"\]\.epoch: /);
    });

    it("refuses an over-long request id without echoing it", async () => {
      const { id, error } = await expectError((c) =>
        c.send({ id: "x".repeat(200), request: { $case: "ping", value: {} } }),
      );

      assert.equal(id, "");
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /^id: /);
    });

    it("refuses subscriptions past the per-session limit", async () => {
      const client = await ProtoTestClient.connect(gw.wsUrl);
      await client.subscribe(["a.1", "a.2"]);

      const reply = await client.request({
        $case: "subscribe",
        value: { topics: ["a.3", "a.4"], resume: {} },
      });
      const accepted = await client.subscribe(["a.3"]);
      await client.close();

      assert.equal(reply.frame?.$case, "error");
      const error = reply.frame?.value as ErrorFrame;
      assert.equal(error.code, "TOO_MANY_SUBSCRIPTIONS");
      assert.equal(accepted.frame?.$case, "subscribed");
    });
  });
});

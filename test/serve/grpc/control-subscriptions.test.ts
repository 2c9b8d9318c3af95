import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  type ControlServiceClient,
  SubscriptionOrigin,
  Transport,
} from "../../../src/gen/tributary/v1/control.js";
import { TestClient } from "../../support/client.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { ProtoTestClient } from "../ws/proto-client.js";
import { call, controlClient, failure } from "./grpc-test-client.js";
import { StreamSubscriber } from "./stream-test-client.js";

const { CLIENT, CONTROL } = {
  CLIENT: SubscriptionOrigin.SUBSCRIPTION_ORIGIN_CLIENT,
  CONTROL: SubscriptionOrigin.SUBSCRIPTION_ORIGIN_CONTROL,
};

describe("ControlService subscriptions of connected clients", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  let client: ControlServiceClient;
  let ws: TestClient | undefined;
  let grpc: StreamSubscriber | undefined;

  /** A gateway fed by `upstream` and one WebSocket client on `own.x`. */
  async function start(limit = 1_000) {
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: AB_CODEC,
        },
      ],
      limits: { maxSubscriptionsPerSession: limit },
    });
    client = controlClient(gw.gateway.grpcPort);
    await waitFor("the source to connect", () => upstream.clients.size === 1);
    ws = await TestClient.connect(gw.wsUrl);
    await ws.subscribe(["own.x"]);
    const { clients } = await call(client.listClients, client, {});
    const id = clients.find((c) => c.transport === 1)?.id ?? "";
    return { ws, id };
  }

  /** Waits until every frame sent so far has been through the gateway. */
  async function settle(socket: TestClient) {
    await socket.request({ type: "ping" });
  }

  before(() => upstream.start());
  afterEach(async () => {
    client?.close();
    grpc?.call.cancel();
    await ws?.close();
    await gw?.stop();
    gw = undefined;
    ws = undefined;
    grpc = undefined;
  });
  after(() => upstream.stop());

  it("subscribes a WebSocket client, which gets the frame and messages", async () => {
    const { ws, id } = await start();

    const res = await call(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.*"],
      policy: 0,
    });
    await waitFor("the subscribed frame", () =>
      ws.frames.some((f) => f.type === "subscribed" && f.id === ""),
    );
    upstream.send({ a: "ctl", b: "y", n: 1 });
    await waitFor("the message", () => ws.messages().length === 1);

    assert.deepEqual(res.client?.subscriptions, ["ctl.*", "own.x"]);
    const frame = ws.frames.find((f) => f.id === "");
    assert.deepEqual(frame, { type: "subscribed", id: "", topics: ["ctl.*"] });
    assert.equal(ws.messages()[0]?.topic, "ctl.y");
  });

  it("unsubscribes it: the frame comes and the messages stop", async () => {
    const { ws, id } = await start();
    await call(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.*"],
      policy: 0,
    });
    upstream.send({ a: "ctl", b: "y", n: 1 });
    await waitFor("the first message", () => ws.messages().length === 1);

    const res = await call(client.unsubscribeClient, client, {
      clientId: id,
      patterns: ["ctl.*"],
    });
    await waitFor("the unsubscribed frame", () =>
      ws.frames.some((f) => f.type === "unsubscribed"),
    );
    upstream.send({ a: "ctl", b: "y", n: 2 });
    upstream.send({ a: "own", b: "x", n: 3 });
    await waitFor("the own message", () => ws.messages().length === 2);
    await settle(ws);

    const unsubscribed = ws.frames.find((f) => f.type === "unsubscribed");
    assert.deepEqual(unsubscribed, {
      type: "unsubscribed",
      id: "",
      topics: ["ctl.*"],
    });
    assert.deepEqual(res.client?.subscriptions, ["own.x"]);
    assert.deepEqual(
      ws.messages().map((m) => m.topic),
      ["ctl.y", "own.x"],
    );
  });

  it("sends a binary-subprotocol client its frames in that codec", async () => {
    await start();
    const proto = await ProtoTestClient.connect(gw?.wsUrl ?? "");
    try {
      await proto.subscribe(["own.x"]);
      const { clients } = await call(client.listClients, client, {});
      const protoId =
        clients.find((c) => c.protocol === "tributary.v1.proto")?.id ?? "";

      await call(client.subscribeClient, client, {
        clientId: protoId,
        patterns: ["ctl.*"],
        policy: 0,
      });
      await call(client.unsubscribeClient, client, {
        clientId: protoId,
        patterns: ["ctl.*"],
      });
      await waitFor("the unsubscribed frame", () =>
        proto.frames.some((f) => f.frame?.$case === "unsubscribed"),
      );

      assert.notEqual(protoId, "");
      const placed = proto.frames.filter((f) => f.id === "");
      assert.deepEqual(
        placed.map((f) => [f.frame?.$case, f.frame?.value]),
        [
          ["subscribed", { topics: ["ctl.*"], live: [] }],
          ["unsubscribed", { topics: ["ctl.*"], live: [] }],
        ],
      );
      assert.deepEqual(proto.textFrames, []);
    } finally {
      await proto.close();
    }
  });

  it("lists each pattern with its sessions and their origin", async () => {
    const { id } = await start();
    const address = gw?.grpcAddress ?? "";
    grpc = await StreamSubscriber.subscribe(address, { patterns: ["own.x"] });
    await call(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.*"],
      policy: 0,
    });

    const all = await call(client.listSubscriptions, client, { pattern: "" });
    const own = await call(client.listSubscriptions, client, {
      pattern: "own.>",
    });

    const grpcId = all.subscriptions
      .flatMap((s) => s.subscribers)
      .find((s) => s.transport === Transport.TRANSPORT_GRPC)?.clientId;
    assert.deepEqual(all.subscriptions, [
      {
        pattern: "ctl.*",
        subscribers: [
          {
            clientId: id,
            transport: Transport.TRANSPORT_WEBSOCKET,
            origin: CONTROL,
          },
        ],
      },
      {
        pattern: "own.x",
        subscribers: [
          {
            clientId: grpcId,
            transport: Transport.TRANSPORT_GRPC,
            origin: CLIENT,
          },
          {
            clientId: id,
            transport: Transport.TRANSPORT_WEBSOCKET,
            origin: CLIENT,
          },
        ].sort((a, b) => ((a.clientId ?? "") < (b.clientId ?? "") ? -1 : 1)),
      },
    ]);
    assert.deepEqual(
      own.subscriptions.map((s) => s.pattern),
      ["own.x"],
    );
  });

  it("subscribes a gRPC stream, which starts and stops receiving", async () => {
    await start();
    const address = gw?.grpcAddress ?? "";
    const sub = await StreamSubscriber.subscribe(address, {
      patterns: ["own.x"],
    });
    grpc = sub;
    const { clients } = await call(client.listClients, client, {});
    const id = clients.find((c) => c.transport === 2)?.id ?? "";

    await call(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.y"],
      policy: 0,
    });
    upstream.send({ a: "ctl", b: "y", n: 1 });
    await waitFor("the message", () => sub.messages().length === 1);
    await call(client.unsubscribeClient, client, {
      clientId: id,
      patterns: ["ctl.y"],
    });
    upstream.send({ a: "ctl", b: "y", n: 2 });
    upstream.send({ a: "own", b: "x", n: 3 });
    await waitFor("the own message", () => sub.messages().length === 2);

    assert.deepEqual(
      sub.messages().map((m) => m.topic),
      ["ctl.y", "own.x"],
    );
  });

  it("refuses a bad pattern, naming it, and subscribes none", async () => {
    const { ws, id } = await start();

    const err = await failure(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ok.x", "bad..x"],
      policy: 0,
    });
    const empty = await failure(client.subscribeClient, client, {
      clientId: id,
      patterns: [],
      policy: 0,
    });
    const blank = await failure(client.unsubscribeClient, client, {
      clientId: "",
      patterns: ["ok.x"],
    });
    const filter = await failure(client.listSubscriptions, client, {
      pattern: "a..b",
    });
    await settle(ws);

    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /^patterns\[1\]: /);
    assert.equal(empty.code, status.INVALID_ARGUMENT);
    assert.match(empty.details, /^patterns: required/);
    assert.equal(blank.code, status.INVALID_ARGUMENT);
    assert.match(blank.details, /^client_id: required/);
    assert.equal(filter.code, status.INVALID_ARGUMENT);
    assert.match(filter.details, /^pattern: /);
    assert.equal(ws.frames.filter((f) => f.id === "").length, 0);
  });

  it("answers NOT_FOUND for an unknown client", async () => {
    await start();

    const sub = await failure(client.subscribeClient, client, {
      clientId: "nobody",
      patterns: ["a.b"],
      policy: 0,
    });
    const unsub = await failure(client.unsubscribeClient, client, {
      clientId: "nobody",
      patterns: ["a.b"],
    });

    assert.equal(sub.code, status.NOT_FOUND);
    assert.match(sub.details, /nobody/);
    assert.equal(unsub.code, status.NOT_FOUND);
  });

  it("refuses past the per-session limit and keeps what was held", async () => {
    const { ws, id } = await start(2);

    await call(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.a", "own.x"],
      policy: 0,
    });
    const err = await failure(client.subscribeClient, client, {
      clientId: id,
      patterns: ["ctl.b", "ctl.c"],
      policy: 0,
    });
    const { clients } = await call(client.listClients, client, {});

    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /limit of 2/);
    assert.deepEqual(clients.find((c) => c.id === id)?.subscriptions, [
      "ctl.a",
      "own.x",
    ]);
    await settle(ws);
    assert.equal(ws.frames.filter((f) => f.id === "").length, 1);
  });
});

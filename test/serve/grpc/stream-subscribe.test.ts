import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type { GatewayEvent } from "../../../src/gateway/index.js";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { checkHealth, listServices } from "./stock-clients.js";
import { StreamSubscriber } from "./stream-test-client.js";

/** `from`, `from + 1`, …, `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("StreamService.Subscribe on a running gateway", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  const subscribers: StreamSubscriber[] = [];
  const wsClients: TestClient[] = [];

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
    });
    await waitFor("the source to connect", () => upstream.clients.size === 1);
  });
  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    await Promise.all(wsClients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  async function subscribe(patterns: string[], maxBatch = 0) {
    const s = await StreamSubscriber.subscribe(gw.grpcAddress, {
      patterns,
      maxBatch,
    });
    subscribers.push(s);
    return s;
  }

  function send(topic: string, from: number, to: number): void {
    const [a, b] = topic.split(".");
    for (let n = from; n <= to; n++) upstream.send({ a, b, d: { n } });
  }

  it("delivers the topics, seqs and epochs a WebSocket client sees", async () => {
    const grpc = await subscribe(["same.*"]);
    const ws = await TestClient.connect(gw.wsUrl);
    wsClients.push(ws);
    await ws.subscribe(["same.*"]);

    send("same.A", 1, 5);
    send("same.B", 1, 3);
    send("other.A", 1, 2);
    await waitFor("eight messages over gRPC", () => {
      return grpc.messages().length === 8;
    });
    await waitFor("eight over WebSocket", () => ws.messages().length === 8);

    const fromGrpc = grpc.messages().map((m) => ({
      topic: m.topic,
      seq: m.seq,
      epoch: m.epoch,
      source: m.source,
      data: JSON.parse(m.data.toString()),
    }));
    const fromWs = ws.messages().map((m) => ({
      topic: m.topic,
      seq: m.seq,
      epoch: m.epoch,
      source: m.source,
      data: m.data,
    }));
    assert.deepEqual(fromGrpc, fromWs);
    assert.deepEqual(grpc.seqsOf("same.A"), range(1, 5));
    assert.equal(grpc.messages()[0]?.contentType, "application/json");
    assert.ok((grpc.messages()[0]?.ingestTimeMs ?? 0) > 0);
  });

  it("carries many events per response when a topic is busy", async () => {
    const grpc = await subscribe(["busy.*"]);
    const capped = await subscribe(["busy.*"], 10);

    send("busy.A", 1, 2000);
    await waitFor("2000 messages", () => grpc.messages().length === 2000);
    await waitFor("2000 capped", () => capped.messages().length === 2000);

    assert.deepEqual(grpc.seqsOf("busy.A"), range(1, 2000));
    assert.ok(
      grpc.responseSizes.some((n) => n > 1),
      `some response carries more than one event: ${grpc.responseSizes}`,
    );
    assert.ok(grpc.responseSizes.length < 2000);
    assert.ok(Math.max(...grpc.responseSizes) <= 64, "the default batch");
    assert.ok(Math.max(...capped.responseSizes) <= 10, "max_batch 10");
    assert.deepEqual(capped.seqsOf("busy.A"), range(1, 2000));
  });

  it("lists the session in ListClients and forgets it on cancel", async () => {
    const grpc = await subscribe(["list.b", "list.a", "list.a"]);
    send("list.a", 1, 3);
    await waitFor("three messages", () => grpc.messages().length === 3);

    const view = gw.gateway.control
      .listClients()
      .find((c) => c.transport === "grpc");
    grpc.close();
    await waitFor("the session to go", () =>
      gw.gateway.control.listClients().every((c) => c.transport !== "grpc"),
    );

    assert.ok(view, "a grpc client is listed");
    assert.match(view.id, /^grpc-\d+$/);
    assert.deepEqual(view.subscriptions, ["list.a", "list.b"]);
    assert.equal(view.protocol, "");
    assert.equal(view.sent, 3);
    assert.equal(view.dropped, 0);
    assert.equal(view.queueDepth, 0);
    assert.match(view.remoteAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal(gw.gateway.fanout.index.match("list.a").length, 0);
  });

  it("ends a kicked session with CANCELLED and the reason", async () => {
    const events: GatewayEvent[] = [];
    const watch = gw.gateway.control.events.subscribe((e) => events.push(e));
    const grpc = await subscribe(["kick.me"]);
    const id = [...gw.gateway.grpcStreams.sessions.keys()].at(-1) as string;

    gw.gateway.control.disconnectClient(id, "maintenance window");
    const err = await grpc.failure();
    await waitFor("the disconnect event", () =>
      events.some((e) => e.type === "client" && !e.connected),
    );
    watch.unsubscribe();

    assert.equal(err.code, status.CANCELLED);
    assert.equal(err.details, "maintenance window");
    assert.equal(gw.gateway.grpcStreams.sessions.has(id), false);
    const clientEvents = events.filter((e) => e.type === "client");
    assert.deepEqual(
      clientEvents.map((e) => [e.client, e.transport, e.connected]),
      [
        [id, "grpc", true],
        [id, "grpc", false],
      ],
    );
    assert.match(
      clientEvents[1]?.type === "client" ? (clientEvents[1].reason ?? "") : "",
      /CANCELLED maintenance window/,
    );
  });

  it("sends gap and reset notices in their place", async () => {
    const grpc = await subscribe(["notice.A"]);
    send("notice.A", 1, 2);
    await waitFor("two messages", () => grpc.messages().length === 2);

    gw.gateway.fanout.publishGap("notice.A", 3, "missing-upstream");
    send("notice.A", 6, 6);
    await waitFor("the message after the gap", () =>
      grpc.seqsOf("notice.A").includes(6),
    );
    gw.gateway.fanout.publishReset("notice.A", "upstream-reset");
    send("notice.A", 7, 7);
    await waitFor("the new epoch", () => grpc.messages().length === 4);

    assert.deepEqual(grpc.stream(), [
      "m1",
      "m2",
      "gap 3-5 missing-upstream",
      "m6",
      "reset upstream-reset",
      "m1",
    ]);
    const gap = grpc.events[2]?.event;
    assert.equal(gap?.$case, "gap");
    assert.equal(
      gap?.$case === "gap" ? gap.value.epoch : "",
      grpc.messages()[0]?.epoch,
    );
    const reset = grpc.events[4]?.event;
    assert.equal(
      reset?.$case === "reset" ? reset.value.epoch : "",
      grpc.messages()[3]?.epoch,
    );
  });

  it("is served, healthy and listed by reflection like ControlService", async () => {
    const port = gw.gateway.grpcPort;

    const health = await checkHealth(port, "tributary.v1.StreamService");
    const services = await listServices(port);

    assert.equal(health, "SERVING");
    assert.ok(services.includes("tributary.v1.StreamService"), `${services}`);
  });
});

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  type ControlServiceClient,
  type Source,
  SourceState,
  type WatchEventsResponse,
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
import { call, controlClient, failure } from "./grpc-test-client.js";

function protoSource(id: string, upstream: TestUpstream): Source {
  return {
    id,
    url: upstream.url,
    headers: {},
    subscribe: [],
    staleAfterMs: 0,
    connectTimeoutMs: 0,
    reconnect: FAST_RECONNECT,
    codec: AB_CODEC,
  };
}

describe("ControlService on a running gateway", () => {
  const one = new TestUpstream();
  const two = new TestUpstream();
  let gw: RunningGateway | undefined;
  let client: ControlServiceClient;
  let ws: TestClient | undefined;

  async function start(config: Record<string, unknown> = {}) {
    gw = await startGateway(config);
    client = controlClient(gw.gateway.grpcPort);
    ws = await TestClient.connect(gw.wsUrl);
    await ws.subscribe(["live.>"]);
    return ws;
  }

  before(async () => {
    await one.start();
    await two.start();
  });
  afterEach(async () => {
    client?.close();
    await ws?.close();
    await gw?.stop();
    gw = undefined;
    ws = undefined;
  });
  after(async () => {
    await one.stop();
    await two.stop();
  });

  it("adds a source that flows to a connected client, then removes it", async () => {
    const ws = await start();

    const { source } = await call(client.addSource, client, {
      source: protoSource("late", one),
    });
    await waitFor("the source to connect", () => one.clients.size === 1);
    one.send({ a: "live", b: "x", n: 1 });
    await waitFor("the message", () => ws.messages().length === 1);
    await call(client.removeSource, client, { id: "late" });
    await waitFor("the disconnect", () => one.clients.size === 0);
    one.send({ a: "live", b: "x", n: 2 });
    const { sources } = await call(client.listSources, client, {});

    assert.equal(source?.source?.id, "late");
    assert.equal(ws.messages()[0]?.source, "late");
    assert.deepEqual(ws.messages()[0]?.data, { a: "live", b: "x", n: 1 });
    assert.deepEqual(sources, []);
    await ws.request({ type: "ping" });
    assert.equal(ws.messages().length, 1, "a removed source still flows");
  });

  it("adds an on-demand source; it subscribes and lists standing topics", async () => {
    const ws = await start();
    const onDemand = {
      rules: [{ topics: "live.*", subscribe: { want: "{2}" } }],
      lingerMs: 0,
    };
    await call(client.addSource, client, {
      source: { ...protoSource("metered", one), onDemand },
    });
    await waitFor("the source to connect", () => one.clients.size === 1);
    await ws.subscribe(["live.k"]);
    await waitFor("the upstream subscribe", () =>
      one.received.includes('{"want":"k"}'),
    );
    await call(client.addUpstreamSubscription, client, {
      source: "metered",
      topic: "live.s",
    });
    await waitFor("the standing subscribe", () =>
      one.received.includes('{"want":"s"}'),
    );
    const got = await call(client.getSource, client, { id: "metered" });

    assert.deepEqual(got.source?.source?.onDemand, {
      ...onDemand,
      standing: ["live.s"],
    });
    await call(client.removeSource, client, { id: "metered" });
  });

  it("pauses and resumes a source", async () => {
    const ws = await start({
      sources: [
        { id: "a", url: one.url, reconnect: FAST_RECONNECT, codec: AB_CODEC },
      ],
    });
    await waitFor("the source to connect", () => one.clients.size === 1);

    const paused = await call(client.pauseSource, client, { id: "a" });
    await waitFor("the disconnect", () => one.clients.size === 0);
    const got = await call(client.getSource, client, { id: "a" });
    const resumed = await call(client.resumeSource, client, { id: "a" });
    await waitFor("the reconnect", () => one.clients.size === 1);
    await waitFor("up again", () => isUp(gw, "a"));
    one.send({ a: "live", b: "y" });

    await waitFor("a message after resuming", () => ws.messages().length === 1);
    assert.equal(paused.source?.health?.state, SourceState.SOURCE_STATE_PAUSED);
    assert.equal(got.source?.health?.state, SourceState.SOURCE_STATE_PAUSED);
    assert.notEqual(
      resumed.source?.health?.state,
      SourceState.SOURCE_STATE_PAUSED,
    );
  });

  it("lists topics with their lineage, seq and subscribers", async () => {
    const ws = await start({
      sources: [
        { id: "a", url: one.url, reconnect: FAST_RECONNECT, codec: AB_CODEC },
        { id: "b", url: two.url, reconnect: FAST_RECONNECT, codec: AB_CODEC },
      ],
    });
    await waitFor(
      "both sources",
      () => one.clients.size + two.clients.size === 2,
    );

    one.send({ a: "live", b: "t", n: 1 });
    two.send({ a: "live", b: "t", n: 2 });
    one.send({ a: "other", b: "t", n: 3 });
    await waitFor("two messages", () => ws.messages().length === 2);
    await waitFor(
      "both topics listed",
      () => (gw?.gateway.control.listTopics() ?? []).length === 2,
    );
    const { topics } = await call(client.listTopics, client, {
      pattern: "live.*",
    });
    const bad = await failure(client.listTopics, client, { pattern: "a..b" });

    assert.equal(topics.length, 1);
    assert.equal(topics[0]?.topic, "live.t");
    assert.deepEqual(topics[0]?.sources, ["a", "b"]);
    assert.equal(topics[0]?.seq, 2);
    assert.equal(topics[0]?.messages, 2);
    assert.equal(topics[0]?.subscribers, 1);
    assert.equal(bad.code, status.INVALID_ARGUMENT);
    assert.match(bad.details, /^pattern/);
  });

  it("watches an upstream go down and come back", async () => {
    await start({
      sources: [
        { id: "a", url: two.url, reconnect: FAST_RECONNECT, codec: AB_CODEC },
      ],
    });
    await waitFor("the source up", () => isUp(gw, "a"));
    const stream = client.watchEvents({});
    const events: WatchEventsResponse[] = [];
    stream.on("data", (event: WatchEventsResponse) => events.push(event));
    stream.on("error", () => undefined);
    await new Promise((resolve) => stream.once("metadata", resolve));
    const states = () =>
      events.flatMap((e) =>
        e.event?.$case === "sourceHealth" ? [e.event.value.to?.state] : [],
      );

    const port = two.port;
    await two.stop();
    await waitFor("a down event", () =>
      states().includes(SourceState.SOURCE_STATE_DOWN),
    );
    await two.start(port);
    await waitFor(
      "an up event",
      () =>
        states().lastIndexOf(SourceState.SOURCE_STATE_UP) >
        states().indexOf(SourceState.SOURCE_STATE_DOWN),
      10_000,
    );
    stream.cancel();

    const first = events.find((e) => e.event?.$case === "sourceHealth");
    assert.equal(
      first?.event?.$case === "sourceHealth" && first.event.value.source,
      "a",
    );
  });

  it("answers every validation error with its code and field", async () => {
    await start({
      sources: [
        { id: "a", url: one.url, reconnect: FAST_RECONNECT, codec: AB_CODEC },
      ],
    });
    const bad = { ...protoSource("b", one), url: "http://x" };
    bad.codec = { format: "json", topic: "x.{/y" };

    const invalid = await failure(client.addSource, client, { source: bad });
    const taken = await failure(client.addSource, client, {
      source: protoSource("a", one),
    });
    const ghost = await failure(client.getSource, client, { id: "zz" });
    const member = await failure(client.setGroup, client, {
      group: {
        id: "g",
        mode: "",
        dataDeadlineMs: 0,
        members: [
          { id: "a", priority: 0 },
          { id: "nope", priority: 0 },
        ],
      },
    });
    const { sources } = await call(client.listSources, client, {});

    assert.equal(invalid.code, status.INVALID_ARGUMENT);
    assert.match(invalid.details, /source\.url: /);
    assert.match(invalid.details, /source\.codec\.topic: /);
    assert.equal(taken.code, status.ALREADY_EXISTS);
    assert.equal(ghost.code, status.NOT_FOUND);
    assert.equal(member.code, status.INVALID_ARGUMENT);
    assert.match(member.details, /^group\.members\[1\]/);
    assert.deepEqual(
      sources.map((s) => s.source?.id),
      ["a"],
      "a refused change was half applied",
    );
  });
});

function isUp(gw: RunningGateway | undefined, id: string): boolean {
  try {
    return gw?.gateway.control.getSource(id).health.state === "up";
  } catch {
    return false;
  }
}

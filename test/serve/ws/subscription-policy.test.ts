import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type { ControlServiceClient } from "../../../src/gen/tributary/v1/control.js";
import { SlowConsumerPolicy } from "../../../src/gen/tributary/v1/delivery.js";
import { CliProcess } from "../../support/cli-process.js";
import { type Frame, TestClient } from "../../support/client.js";
import { type RunningGateway, startGateway } from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { call, controlClient, failure } from "../grpc/grpc-test-client.js";
import { ProtoTestClient } from "./proto-client.js";
import { coverage, underlying } from "./received.js";

const TIMING = { clientPingIntervalMs: 100, stallTimeoutMs: 300 };
const PACE_MS = 5; // of a feed waiting for a stall: low, as a quiet feed
const CODEC = { format: "json", topic: "{/a}.{/b}", key: "/k", data: "/" };
const DROP_OLDEST = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_DROP_OLDEST;
const CONFLATE = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_CONFLATE;
const DISCONNECT = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_DISCONNECT;
const NO_PONG = { code: 1008, reason: "slow consumer: no pong in 300 ms" };

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));
const isGap = (f: Frame) => f.type === "gap";
const SLOW = "slow-consumer";

/** The message and gap frames of one topic, in the order received. */
const ofTopic = (client: TestClient, topic: string): Frame[] =>
  client.frames.filter((f) => f.topic === topic && f.type !== "error");

function seqsOf(client: TestClient, topic: string): number[] {
  const messages = ofTopic(client, topic).filter((f) => f.type === "message");
  return messages.map((f) => f.seq as number);
}

describe("slow-consumer policy per subscription on WebSocket clients", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  let control: ControlServiceClient;
  let healthy: TestClient; // on every topic, and never slow
  const sockets: { socket: { terminate(): void } }[] = [];
  const running: CliProcess[] = [];
  const sent = new Map<string, number>(); // topic -> last seq published

  afterEach(async () => {
    for (const client of sockets.splice(0)) client.socket.terminate();
    await Promise.all(running.splice(0).map((cli) => cli.kill()));
    control?.close();
    await gw?.stop();
    await upstream.stop();
    sent.clear();
  });

  async function start(limits: Record<string, unknown> = {}) {
    await upstream.start();
    gw = await startGateway({
      sources: [{ id: "feed", url: upstream.url, codec: CODEC }],
      limits: { ...TIMING, ...limits },
    });
    control = controlClient(gw.gateway.grpcPort);
    await waitFor("the source", () => upstream.clients.size === 1);
    healthy = await connect([">"]);
  }

  async function connect(topics: string[], policy?: string) {
    const client = await TestClient.connect(gw.wsUrl);
    sockets.push(client);
    await subscribe(client, topics, policy);
    return client;
  }

  async function subscribe(c: TestClient, topics: string[], policy?: string) {
    const reply = await c.request({ type: "subscribe", topics, policy });
    assert.equal(reply.type, "subscribed", JSON.stringify(reply));
  }

  /** The session id of a client, found by its port as ListClients shows it. */
  function idOf(client: TestClient): string {
    const port = `:${underlying(client).localPort}`;
    const views = gw.gateway.control.listClients();
    const id = views.find((c) => c.remoteAddress.endsWith(port))?.id;
    assert.ok(id !== undefined, `no client on ${port}`);
    return id;
  }

  /** The in-process view, to poll; assertions use the gRPC one. */
  function view(id: string) {
    return gw.gateway.control.listClients().find((c) => c.id === id);
  }

  /** The client's ClientStatus from a real ListClients call. */
  async function statusOf(id: string) {
    const { clients } = await call(control.listClients, control, {});
    return clients.find((c) => c.id === id);
  }

  /** Publishes one message on `topic` ("a.b") and returns its seq. */
  function publish(topic: string, k = "k", pad = ""): number {
    const [a, b] = topic.split(".");
    const seq = (sent.get(topic) ?? 0) + 1;
    sent.set(topic, seq);
    upstream.send({ a, b, k, n: seq, pad });
    return seq;
  }

  /** Waits until the healthy client, so the gateway, has had everything. */
  async function delivered(timeoutMs = 5000) {
    const n = [...sent.values()].reduce((sum, count) => sum + count, 0);
    const what = `the healthy client to receive ${n} messages`;
    await waitFor(what, () => healthy.messages().length === n, timeoutMs);
  }

  /** Feeds `topics` in turn at a low rate until `done`. */
  async function feedUntil(topics: string[], done: () => unknown) {
    const deadline = Date.now() + 6000;
    for (let i = 0; !done(); i++) {
      assert.ok(Date.now() < deadline, `fed ${topics} for 6 s in vain`);
      publish(topics[i % topics.length] as string, `k${i % 3}`);
      await delivered();
      await pause(PACE_MS);
    }
  }

  /** Waits until `client` has a message or gap for each seq published. */
  async function caughtUp(client: TestClient, timeoutMs = 5000) {
    const covered = ([topic, n]: [string, number]) =>
      coverage(ofTopic(client, topic)).length >= n;
    await waitFor("the catch-up", () => [...sent].every(covered), timeoutMs);
  }

  /** Every seq a message or a gap, in order, once; gaps for slowness. */
  function assertCovered(client: TestClient) {
    for (const [topic, n] of sent) {
      assert.deepEqual(coverage(ofTopic(client, topic)), oneTo(n), topic);
    }
    assert.ok(client.frames.every((f) => !isGap(f) || f.reason === SLOW));
  }

  function assertHealthy() {
    for (const [topic, n] of sent) {
      assert.deepEqual(seqsOf(healthy, topic), oneTo(n), topic);
    }
    assert.equal(healthy.frames.filter(isGap).length, 0);
  }

  it("conflates a.> and drops b.> of a stalled client, then catches it up", async () => {
    await start({ maxSessionQueueMessages: 20 });
    const slow = await connect(["a.>"], "conflate");
    await subscribe(slow, ["b.>"], "drop-oldest");
    const slowId = idOf(slow);
    underlying(slow).pause();
    await feedUntil(["a.x", "b.1"], () => view(slowId)?.stalled === true);

    // Everything published from here on reaches a stalled session.
    const mark = new Map(sent);
    const latest = new Map<string, number[]>();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) publish(i % 2 === 0 ? "b.1" : "b.2");
      for (const topic of ["a.x", "a.y"]) {
        const seqs = ["k0", "k1", "k2"].map((k) => publish(topic, k));
        latest.set(topic, seqs);
      }
    }
    await delivered();
    const stallEnd = new Map(sent);

    const during = await statusOf(slowId);
    assert.equal(during?.stalled, true);
    assert.deepEqual(during?.policies, { "a.>": CONFLATE, "b.>": DROP_OLDEST });
    // Only the latest message of each topic and key waits for it.
    assert.equal(during?.queueDepth, 6);
    assert.ok((during?.dropped ?? 0) >= 100 + 24, `${during?.dropped}`);
    const beside = await statusOf(idOf(healthy));
    assert.equal(beside?.stalled, false);
    assert.deepEqual(beside?.policies, { ">": DROP_OLDEST });

    underlying(slow).resume();
    await caughtUp(slow);
    assert.equal((await statusOf(slowId))?.stalled, false);
    for (const topic of ["a.x", "a.y", "b.1", "b.2"]) publish(topic);
    await delivered();
    await caughtUp(slow);

    assertHealthy();
    assertCovered(slow);
    for (const [topic, n] of sent) {
      const [from, to] = [mark.get(topic) ?? 0, stallEnd.get(topic) ?? 0];
      const inStall = seqsOf(slow, topic).filter((s) => s > from && s <= to);
      // Conflated: the last value of each key; dropped: none at all.
      assert.deepEqual(inStall, latest.get(topic) ?? [], topic);
      assert.equal(seqsOf(slow, topic).at(-1), n, `${topic} live again`);
    }
    assert.ok(ofTopic(slow, "b.2").some(isGap));
  });

  it("closes a stalled client holding a disconnect pattern, not its neighbour", async () => {
    await start();
    const strict = await connect(["x.>"], "drop-oldest");
    await subscribe(strict, ["x.y"], "disconnect");
    const lenient = await connect(["x.>"], "drop-oldest");
    const [strictId, lenientId] = [idOf(strict), idOf(lenient)];
    const policies = (await statusOf(strictId))?.policies;
    assert.deepEqual(policies, { "x.>": DROP_OLDEST, "x.y": DISCONNECT });

    for (const c of [strict, lenient]) underlying(c).pause();
    const closed = () => view(strictId) === undefined;
    await feedUntil(["x.y", "x.z"], () => closed() && view(lenientId)?.stalled);
    assert.equal(await statusOf(strictId), undefined);
    assert.equal((await statusOf(lenientId))?.stalled, true);

    for (const c of [strict, lenient]) underlying(c).resume();
    await waitFor("the close", () => strict.closed !== undefined);
    assert.deepEqual(strict.closed, NO_PONG);
    await caughtUp(lenient);
    for (const topic of ["x.y", "x.z"]) publish(topic);
    await delivered();
    await caughtUp(lenient);
    assertHealthy();
    assertCovered(lenient);
    assert.ok(lenient.frames.some(isGap));
    assert.equal(lenient.closed, undefined);
  });

  it("keeps a full queue's disconnect messages; closes when they alone overflow", async () => {
    const limit = 10;
    const pad = "x".repeat(16 * 1024);
    // No pings, so no stall: only the full queue acts.
    await start({ clientPingIntervalMs: 0, maxSessionQueueMessages: limit });
    const keep = await connect(["q.>"], "drop-oldest");
    const lose = await connect(["q.>"], "drop-oldest");
    for (const c of [keep, lose]) await subscribe(c, ["q.d"], "disconnect");
    const ids = [idOf(keep), idOf(lose)];
    for (const c of [keep, lose]) underlying(c).pause();
    // Fills the kernel's buffers and the socket's until both queue.
    const deadline = Date.now() + 15_000;
    while (!ids.every((id) => (view(id)?.queueDepth ?? 0) > 0)) {
      assert.ok(Date.now() < deadline, "the paused clients never queued");
      for (let i = 0; i < 20; i++) publish("q.o", "k", pad);
      await delivered(10_000);
    }

    // q.d matches both patterns and takes the strictest: disconnect.
    for (let i = 0; i < limit; i++) {
      publish("q.o", "k", pad);
      publish("q.d");
    }
    await delivered();
    const full = await Promise.all(ids.map(statusOf));
    for (const c of full) assert.equal(c?.queueDepth, limit);
    // One more droppable message is dropped, not the session.
    publish("q.o", "k", pad);
    await delivered();
    for (const [i, c] of (await Promise.all(ids.map(statusOf))).entries()) {
      assert.equal(c?.queueDepth, limit);
      assert.equal(c?.dropped, (full[i]?.dropped ?? 0) + 1);
    }

    underlying(keep).resume();
    await caughtUp(keep, 10_000);
    // One disconnect message more than the queue may hold.
    publish("q.d");
    await delivered();
    underlying(lose).resume();
    await waitFor("the close", () => lose.closed !== undefined);
    assert.equal(lose.closed?.code, 1008);
    assert.match(lose.closed?.reason ?? "", /^slow consumer: more than 10 /);
    assert.equal(ofTopic(lose, "q.d").filter(isGap).length, 0);

    await caughtUp(keep);
    assertHealthy();
    assertCovered(keep);
    assert.deepEqual(seqsOf(keep, "q.d"), oneTo(limit + 1));
    assert.ok(ofTopic(keep, "q.o").some(isGap));
    assert.equal(keep.closed, undefined);
  });

  it("refuses a JSON policy it does not know; a new policy replaces one", async () => {
    await start();
    const client = await connect(["ok.t"]);
    const id = idOf(client);
    const topics = ["no.t", "ok.u"];
    const bad = { type: "subscribe", id: "bad-1", topics, policy: "fast" };
    const error = await client.request(bad);
    assert.deepEqual([error.type, error.code], ["error", "BAD_REQUEST"]);
    assert.match(String(error.message), /^policy: /);

    for (const topic of ["no.t", "ok.u", "ok.t"]) publish(topic);
    const got = (topic: string) => () => seqsOf(client, topic).length === 1;
    await waitFor("the ok.t message", got("ok.t"));
    const topicsGot = client.messages().map((m) => m.topic);
    assert.deepEqual(topicsGot, ["ok.t"]);
    assert.deepEqual((await statusOf(id))?.policies, { "ok.t": DROP_OLDEST });

    await subscribe(client, ["no.t"], "conflate");
    publish("no.t");
    await waitFor("the no.t message", got("no.t"));
    const both = { "no.t": CONFLATE, "ok.t": DROP_OLDEST };
    assert.deepEqual((await statusOf(id))?.policies, both);
    await subscribe(client, ["ok.t", "no.t"], "disconnect");
    const strict = { "no.t": DISCONNECT, "ok.t": DISCONNECT };
    assert.deepEqual((await statusOf(id))?.policies, strict);
    // Without a policy a held pattern keeps the one it has.
    await subscribe(client, ["ok.t"]);
    assert.deepEqual((await statusOf(id))?.policies, strict);
  });

  it("refuses an unknown policy number: binary subscribe, SubscribeClient", async () => {
    await start();
    const proto = await ProtoTestClient.connect(gw.wsUrl);
    sockets.push(proto);
    const policy = 9 as SlowConsumerPolicy;
    const value = { topics: ["p.t"], resume: {}, policy };
    const reply = await proto.request({ $case: "subscribe", value }, "bad-9");
    assert.ok(reply.frame?.$case === "error", JSON.stringify(reply));
    const error = reply.frame.value;
    assert.equal(error.code, "BAD_REQUEST");
    const expected = /^subscribe\.policy: unknown SlowConsumerPolicy 9\b/;
    assert.match(error.message, expected);
    await proto.subscribe(["p.t"], CONFLATE);
    const views = gw.gateway.control.listClients();
    const id = views.find((c) => c.protocol === "tributary.v1.proto")?.id ?? "";

    const request = { clientId: id, patterns: ["r.t"], policy };
    const err = await failure(control.subscribeClient, control, request);
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /^policy: unknown SlowConsumerPolicy/);
    const after = await statusOf(id);
    assert.deepEqual(after?.subscriptions, ["p.t"]);
    assert.deepEqual(after?.policies, { "p.t": CONFLATE });

    publish("p.t");
    await waitFor("the p.t message", () => proto.messages().length === 1);
    // Its own valid subscribe was answered; the control plane placed none.
    const placed = proto.frames.filter((f) => f.frame?.$case === "subscribed");
    assert.equal(placed.length, 1);
    assert.notEqual(placed[0]?.id, "");
  });

  it("SubscribeClient DISCONNECT shows in ListClients and closes on a stall", async () => {
    await start();
    const client = await connect(["c.>"]);
    const id = idOf(client);
    const request = { clientId: id, patterns: ["c.t"], policy: DISCONNECT };
    const res = await call(control.subscribeClient, control, request);
    const policies = { "c.>": DROP_OLDEST, "c.t": DISCONNECT };
    assert.deepEqual(res.client?.policies, policies);
    await waitFor("the frame", () => client.frames.some((f) => f.id === ""));
    assert.deepEqual((await statusOf(id))?.policies, policies);

    underlying(client).pause();
    // Messages only c.> matches: holding the disconnect pattern is enough.
    await feedUntil(["c.u"], () => view(id) === undefined);
    underlying(client).resume();
    await waitFor("the close", () => client.closed !== undefined);
    assert.deepEqual(client.closed, NO_PONG);
    assertHealthy();
  });

  it("ctl clients subscribe --policy, and clients list shows the policies", async () => {
    await start();
    const placed = await connect(["m.a"]);
    const mixed = await connect(["n.a"], "conflate");
    await subscribe(mixed, ["n.b"], "disconnect");
    const ctl = async (...args: string[]) => {
      const cli = new CliProcess(["ctl", "--addr", gw.grpcAddress, ...args]);
      running.push(cli);
      const code = await cli.exited();
      return { code, stdout: cli.stdout, stderr: cli.stderr };
    };
    const id = idOf(placed);
    const [added, bad, listed] = await Promise.all([
      ctl("clients", "subscribe", id, "m.b", "m.c", "--policy", "conflate"),
      ctl("clients", "subscribe", id, "m.d", "--policy", "fast"),
      ctl("clients", "list"),
    ]);

    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--policy/);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(listed.code, 0, listed.stderr);
    const columns = "ID TRANSPORT REMOTE QUEUE SENT DROPPED STALLED POLICY";
    const header = `^${columns.replaceAll(" ", "\\s+")}\\s+SUBSCRIPTIONS$`;
    for (const out of [added, listed]) {
      assert.match(out.stdout, new RegExp(header, "m"));
    }
    const row = (client: TestClient, rest: string) =>
      new RegExp(`^${idOf(client)}\\s+websocket\\s.*\\sno\\s+${rest}$`, "m");
    const placedRow =
      "m\\.a\\[drop-oldest\\],m\\.b\\[conflate\\],m\\.c\\[conflate\\]";
    assert.match(added.stdout, row(placed, `mixed\\s+${placedRow}`));
    const mixedRow = "mixed\\s+n\\.a\\[conflate\\],n\\.b\\[disconnect\\]";
    assert.match(listed.stdout, row(mixed, mixedRow));
    assert.match(listed.stdout, row(healthy, "drop-oldest\\s+>"));
    // The bad --policy placed nothing.
    const after = await statusOf(id);
    assert.deepEqual(after?.subscriptions, ["m.a", "m.b", "m.c"]);
  });
});

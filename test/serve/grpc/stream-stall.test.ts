import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type { ClientView } from "../../../src/gateway/index.js";
import type { ControlServiceClient } from "../../../src/gen/tributary/v1/control.js";
import { SlowConsumerPolicy } from "../../../src/gen/tributary/v1/delivery.js";
import type { SubscribeRequest } from "../../../src/gen/tributary/v1/stream.js";
import type { StreamSession } from "../../../src/serve/grpc/index.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { call, controlClient } from "./grpc-test-client.js";
import { coverage, range, StreamSubscriber } from "./stream-test-client.js";

/**
 * Big enough that a subscriber which stops reading fills its HTTP/2
 * window and read buffer within a few dozen messages, so the gateway's
 * writes stop being taken and the stall clock runs.
 */
const PAYLOAD = "x".repeat(16 * 1024);
const STALL_MS = 300;
/** The most messages a test sends while waiting for something. */
const MAX_FEED = 400;

/** An uneven mix of conflation keys: `c` is rare, `a` and `b` alternate. */
function keyOf(n: number): string {
  if (n % 7 === 0) return "c";
  return n % 2 === 0 ? "a" : "b";
}

describe("gRPC stream stall detection and per-call policies", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  let control: ControlServiceClient | undefined;
  const subscribers: StreamSubscriber[] = [];
  let sent = 0;
  let withKeys = false;

  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    control?.close();
    control = undefined;
    await gw?.stop();
    gw = undefined;
    await upstream.stop();
    sent = 0;
    withKeys = false;
  });

  /** A gateway on one topic `big.t` and a healthy subscriber of it. */
  async function setUp(
    limits: Record<string, unknown> = {},
    keys = false,
  ): Promise<StreamSubscriber> {
    withKeys = keys;
    await upstream.start();
    const codec = keys
      ? { format: "json", topic: "big.t", key: "/k", data: "/" }
      : { format: "json", topic: "big.t", data: "/" };
    gw = await startGateway({
      sources: [
        { id: "feed", url: upstream.url, reconnect: FAST_RECONNECT, codec },
      ],
      limits: { stallTimeoutMs: STALL_MS, ...limits },
    });
    await waitFor("the source", () => upstream.clients.size === 1);
    const { subscriber } = await open({ patterns: ["big.t"] });
    return subscriber;
  }

  /** Subscribes and finds the gateway's session of the new call. */
  async function open(request: Partial<SubscribeRequest>) {
    const sessions = running().gateway.grpcStreams.sessions;
    const before = new Set(sessions.keys());
    const subscriber = await StreamSubscriber.subscribe(
      running().grpcAddress,
      request,
    );
    subscribers.push(subscriber);
    const session = [...sessions.values()].find((s) => !before.has(s.id));
    assert.ok(session, "the gateway has a session for the call");
    return { subscriber, session };
  }

  function running(): RunningGateway {
    assert.ok(gw, "the gateway runs");
    return gw;
  }

  /** What ListClients says of one client. */
  function view(session: StreamSession): ClientView {
    const found = running()
      .gateway.control.listClients()
      .find((c) => c.id === session.id);
    assert.ok(found, `ListClients lists ${session.id}`);
    return found;
  }

  /** Sends the next message; waits for `healthy` to receive it. */
  async function sendOne(healthy: StreamSubscriber): Promise<void> {
    sent++;
    const n = sent;
    upstream.send(
      withKeys ? { n, k: keyOf(n), pad: PAYLOAD } : { n, pad: PAYLOAD },
    );
    await waitFor(
      `the healthy subscriber to receive ${n} messages`,
      () => healthy.messages().length === n,
    );
  }

  /** Sends `count` messages, paced by the healthy subscriber. */
  async function feed(count: number, healthy: StreamSubscriber) {
    for (let i = 0; i < count; i++) await sendOne(healthy);
  }

  /** Sends messages, paced, until `done` holds (at most MAX_FEED). */
  async function feedUntil(
    what: string,
    done: () => boolean,
    healthy: StreamSubscriber,
  ): Promise<void> {
    for (let i = 0; i < MAX_FEED && !done(); i++) await sendOne(healthy);
    assert.ok(done(), `${what} after ${MAX_FEED} messages`);
  }

  /** The healthy subscriber got every message once, in order, no gap. */
  function assertComplete(healthy: StreamSubscriber): void {
    assert.deepEqual(healthy.seqsOf("big.t"), range(1, sent));
    assert.equal(healthy.events.length, sent, "nothing but messages");
  }

  function assertSlowConsumerGaps(slow: StreamSubscriber): void {
    const gaps = slow.events.filter((e) => e.event?.$case === "gap");
    assert.ok(gaps.length > 0, "the loss is announced");
    for (const { event } of gaps) {
      assert.equal(
        event?.$case === "gap" && event.value.reason,
        "slow-consumer",
      );
    }
  }

  it("DISCONNECT on one call ends it when it stalls", async () => {
    // Queue limits far above what is sent: only the stall can end it.
    const healthy = await setUp({
      slowConsumerPolicy: "drop-oldest",
      maxSessionQueueMessages: 100_000,
      maxSessionBufferedBytes: 256 * 1024 * 1024,
    });
    const { subscriber: slow, session } = await open({
      patterns: ["big.t"],
      maxBatch: 1,
      policy: SlowConsumerPolicy.SLOW_CONSUMER_POLICY_DISCONNECT,
    });
    assert.deepEqual(view(session).policies, { "big.t": "disconnect" });
    slow.call.pause();
    const pausedAt = Date.now();
    await feedUntil("the stalled call ended", () => session.ended, healthy);
    const endedIn = Date.now() - pausedAt;

    assert.ok(endedIn >= STALL_MS, `ended after only ${endedIn} ms`);
    assert.ok(endedIn < 5000, `ended after ${endedIn} ms`);
    assert.equal(session.stats.stalls, 1);
    assert.equal(running().gateway.grpcStreams.sessions.has(session.id), false);
    // The healthy call beside it goes on, whole and in order.
    await feed(20, healthy);
    assertComplete(healthy);

    slow.call.resume();
    const err = await slow.failure();
    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.equal(err.details, `slow consumer: no progress in ${STALL_MS} ms`);
  });

  it("DROP_OLDEST by default: a stalled call queues nothing, gaps on resume", async () => {
    const healthy = await setUp();
    const { subscriber: slow, session } = await open({
      patterns: ["big.t"],
      maxBatch: 1,
    });
    assert.deepEqual(view(session).policies, { "big.t": "drop-oldest" });
    slow.call.pause();
    await feedUntil("the stall", () => view(session).stalled, healthy);

    assert.equal(session.stats.stalls, 1);
    assert.equal(view(session).queueDepth, 0, "stalledQueueMessages 0");
    const droppedAtStall = view(session).dropped;
    assert.ok(droppedAtStall > 0, "the backlog became gaps");
    await feed(30, healthy);
    const during = view(session);
    assert.equal(during.stalled, true);
    assert.equal(during.queueDepth, 0, "the queue does not grow");
    assert.equal(during.dropped, droppedAtStall + 30, "each new one dropped");
    const healthyView = running()
      .gateway.control.listClients()
      .find((c) => c.id !== session.id);
    assert.equal(healthyView?.stalled, false);

    slow.call.resume();
    await waitFor("the catch-up", () => coverage(slow).at(-1) === sent);
    await waitFor("the stall to end", () => !view(session).stalled);
    const dropped = view(session).dropped;
    // Live again: new messages are written, not dropped.
    await feed(20, healthy);
    await waitFor("the live messages", () => coverage(slow).at(-1) === sent);

    assert.deepEqual(coverage(slow), range(1, sent), "no hole, no repeat");
    assertSlowConsumerGaps(slow);
    assert.deepEqual(
      slow.stream().slice(-20),
      range(sent - 19, sent).map((n) => `m${n}`),
    );
    assert.equal(view(session).dropped, dropped);
    assert.equal(view(session).queueDepth, 0);
    assert.equal(view(session).stalled, false);
    assert.equal(slow.messages().length, sent - dropped);
    assertComplete(healthy);
  });

  it("CONFLATE on one call keeps the latest message of each key", async () => {
    const healthy = await setUp({ slowConsumerPolicy: "drop-oldest" }, true);
    const { subscriber: slow, session } = await open({
      patterns: ["big.t"],
      maxBatch: 1,
      policy: SlowConsumerPolicy.SLOW_CONSUMER_POLICY_CONFLATE,
    });
    assert.deepEqual(view(session).policies, { "big.t": "conflate" });
    slow.call.pause();
    await feedUntil("the stall", () => view(session).stalled, healthy);
    // The message that found the call stalled was already conflated.
    const stalledAt = sent;
    await feed(30, healthy);
    assert.equal(view(session).stalled, true);
    assert.ok(view(session).queueDepth <= 3, "one message per key at most");

    const latest = new Map<string, number>();
    for (let n = stalledAt; n <= sent; n++) latest.set(keyOf(n), n);
    assert.deepEqual([...latest.keys()].sort(), ["a", "b", "c"]);
    const expected = [...latest.values()].sort((x, y) => x - y);
    const lastStalled = sent;

    slow.call.resume();
    await waitFor("the catch-up", () => coverage(slow).at(-1) === sent);
    await feed(5, healthy);
    await waitFor("the live messages", () => coverage(slow).at(-1) === sent);

    assert.deepEqual(coverage(slow), range(1, sent), "no hole, no repeat");
    assertSlowConsumerGaps(slow);
    const duringStall = slow
      .messages()
      .filter((m) => m.seq >= stalledAt && m.seq <= lastStalled);
    assert.deepEqual(
      duringStall.map((m) => m.seq),
      expected,
    );
    for (const m of duringStall) {
      const { n, k } = JSON.parse(m.data.toString()) as {
        n: number;
        k: string;
      };
      assert.equal(n, m.seq);
      assert.equal(m.key, k);
      assert.equal(latest.get(k), n, `the latest value of key ${k}`);
    }
    assert.deepEqual(slow.seqsOf("big.t").slice(-5), range(sent - 4, sent));
    assert.equal(view(session).stalled, false);
    assertComplete(healthy);
  });

  it("refuses an unknown policy and keeps serving others", async () => {
    const healthy = await setUp();
    const sessions = running().gateway.grpcStreams.sessions;
    const bad = StreamSubscriber.open(running().grpcAddress, {
      patterns: ["big.t"],
      policy: 9 as SlowConsumerPolicy,
    });
    subscribers.push(bad);
    const err = await bad.failure();
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.equal(err.details, "policy: unknown SlowConsumerPolicy 9");
    assert.equal(sessions.size, 1, "no session for the refused call");
    assert.equal(running().gateway.fanout.index.match("big.t").length, 1);

    const { subscriber: next } = await open({
      patterns: ["big.t"],
      policy: SlowConsumerPolicy.SLOW_CONSUMER_POLICY_DROP_OLDEST,
    });
    await feed(5, healthy);
    await waitFor(
      "the new subscriber's messages",
      () => next.messages().length === 5,
    );
    assert.deepEqual(next.seqsOf("big.t"), range(1, 5));
    assertComplete(healthy);
  });

  it("ListClients shows a call's policy for every pattern", async () => {
    // A gateway default other than drop-oldest, to see UNSPECIFIED take it.
    await setUp({ slowConsumerPolicy: "disconnect" });
    const { session: conflated } = await open({
      patterns: ["big.t", "other.*"],
      policy: SlowConsumerPolicy.SLOW_CONSUMER_POLICY_CONFLATE,
    });
    const { session: unspecified } = await open({ patterns: ["big.*"] });

    assert.deepEqual(view(conflated).policies, {
      "big.t": "conflate",
      "other.*": "conflate",
    });
    assert.deepEqual(view(unspecified).policies, { "big.*": "disconnect" });

    control = controlClient(running().gateway.grpcPort);
    const { clients } = await call(control.listClients, control, {});
    const byId = new Map(clients.map((c) => [c.id, c]));
    const CONFLATE = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_CONFLATE;
    const DISCONNECT = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_DISCONNECT;
    assert.deepEqual(byId.get(conflated.id)?.policies, {
      "big.t": CONFLATE,
      "other.*": CONFLATE,
    });
    assert.deepEqual(byId.get(unspecified.id)?.policies, {
      "big.*": DISCONNECT,
    });
    assert.equal(byId.get(conflated.id)?.stalled, false);
    assert.equal(byId.get(unspecified.id)?.stalled, false);
  });
});

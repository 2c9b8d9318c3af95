import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import {
  type ControlServiceClient,
  UpstreamChange,
  UpstreamSubscriptionState,
  type WatchEventsResponse,
} from "../../../src/gen/tributary/v1/control.js";
import type { GrpcServer } from "../../../src/serve/grpc/index.js";
import { waitFor } from "../../support/wait-for.js";
import { bearer, call, controlClient, failure } from "./grpc-test-client.js";
import { type MemoryControl, serveMemoryControl } from "./memory-control.js";

const ADMIN = "upstream-admin-token-0123456789";
const READER = "upstream-read-token-0123456789";

const { PENDING, SUBSCRIBED, LINGERING, REJECTED } = {
  PENDING: UpstreamSubscriptionState.UPSTREAM_SUBSCRIPTION_STATE_PENDING,
  SUBSCRIBED: UpstreamSubscriptionState.UPSTREAM_SUBSCRIPTION_STATE_SUBSCRIBED,
  LINGERING: UpstreamSubscriptionState.UPSTREAM_SUBSCRIPTION_STATE_LINGERING,
  REJECTED: UpstreamSubscriptionState.UPSTREAM_SUBSCRIPTION_STATE_REJECTED,
};

/** `feed` (limit 3, two topics), `book` (no limit, none), `plain` (no rules). */
function seed(control: MemoryControl): void {
  control.upstream.now = () => 9_000;
  control.upstream.set("feed", {
    rule: "trades.*",
    limit: 3,
    lingerMs: 5_000,
    subscriptions: [
      {
        topic: "trades.A",
        state: "subscribed",
        subscribers: 2,
        standing: false,
        createdAt: 100,
        since: 200,
      },
      {
        topic: "trades.B",
        state: "rejected",
        subscribers: 1,
        standing: false,
        createdAt: 300,
        since: 400,
        reason: "unknown symbol",
      },
    ],
  });
  control.upstream.set("book", { rule: "book.>", lingerMs: 0 });
}

describe("ControlService upstream subscriptions", () => {
  let control: MemoryControl;
  let server: GrpcServer;
  let client: ControlServiceClient;
  const admin = () => bearer(ADMIN);

  before(async () => {
    let port: number;
    ({ control, server, port } = await serveMemoryControl([
      { token: ADMIN, role: "admin" },
      { token: READER, role: "read" },
    ]));
    client = controlClient(port);
    await control.addSource({
      id: "plain",
      url: "ws://127.0.0.1:1/",
      codec: { format: "json", topic: "t" },
    });
  });
  beforeEach(() => seed(control));
  after(async () => {
    client.close();
    await server.stop();
  });

  describe("ListUpstreamSubscriptions", () => {
    it("lists every on-demand source by id, each field mapped", async () => {
      const res = await call(
        client.listUpstreamSubscriptions,
        client,
        { source: "" },
        admin(),
      );

      assert.deepEqual(res.sources, [
        { source: "book", limit: 0, lingerMs: 0, subscriptions: [] },
        {
          source: "feed",
          limit: 3,
          lingerMs: 5_000,
          subscriptions: [
            {
              topic: "trades.A",
              state: SUBSCRIBED,
              subscribers: 2,
              standing: false,
              createdAtMs: 100,
              sinceMs: 200,
              reason: "",
            },
            {
              topic: "trades.B",
              state: REJECTED,
              subscribers: 1,
              standing: false,
              createdAtMs: 300,
              sinceMs: 400,
              reason: "unknown symbol",
            },
          ],
        },
      ]);
    });

    it("lists one source, with pending and lingering mapped", async () => {
      control.upstream.set("book", {
        rule: "book.>",
        lingerMs: 1_000,
        subscriptions: [
          {
            topic: "book.X",
            state: "pending",
            subscribers: 1,
            standing: false,
            createdAt: 1,
            since: 1,
          },
          {
            topic: "book.Y",
            state: "lingering",
            subscribers: 0,
            standing: false,
            createdAt: 2,
            since: 3,
          },
        ],
      });

      const res = await call(
        client.listUpstreamSubscriptions,
        client,
        { source: "book" },
        admin(),
      );

      assert.deepEqual(
        res.sources.map((s) => s.source),
        ["book"],
      );
      assert.deepEqual(
        res.sources[0]?.subscriptions.map((s) => [s.topic, s.state]),
        [
          ["book.X", PENDING],
          ["book.Y", LINGERING],
        ],
      );
    });

    it("answers NOT_FOUND and FAILED_PRECONDITION for a source", async () => {
      const list = client.listUpstreamSubscriptions;

      const ghost = await failure(list, client, { source: "ghost" }, admin());
      const plain = await failure(list, client, { source: "plain" }, admin());

      assert.equal(ghost.code, status.NOT_FOUND);
      assert.equal(ghost.details, "no source ghost");
      assert.equal(plain.code, status.FAILED_PRECONDITION);
      assert.match(plain.details, /plain has no onDemand rules/);
    });
  });

  describe("AddUpstreamSubscription", () => {
    it("adds a standing topic and returns the source with it", async () => {
      const res = await call(
        client.addUpstreamSubscription,
        client,
        { source: "feed", topic: "trades.C" },
        admin(),
      );
      const listed = await call(
        client.listUpstreamSubscriptions,
        client,
        { source: "feed" },
        admin(),
      );

      assert.equal(res.source?.source, "feed");
      assert.equal(res.source?.limit, 3);
      assert.deepEqual(res.source?.subscriptions.at(-1), {
        topic: "trades.C",
        state: SUBSCRIBED,
        subscribers: 0,
        standing: true,
        createdAtMs: 9_000,
        sinceMs: 9_000,
        reason: "",
      });
      assert.deepEqual(listed.sources, [res.source]);
    });

    it("makes a topic sessions already want standing", async () => {
      const res = await call(
        client.addUpstreamSubscription,
        client,
        { source: "feed", topic: "trades.A" },
        admin(),
      );

      const topic = res.source?.subscriptions.find(
        (s) => s.topic === "trades.A",
      );
      assert.equal(topic?.standing, true);
      assert.equal(topic?.subscribers, 2);
      assert.equal(res.source?.subscriptions.length, 2);
    });

    it("names the empty field: source, topic or both", async () => {
      const add = client.addUpstreamSubscription;

      const source = await failure(
        add,
        client,
        { source: "", topic: "trades.C" },
        admin(),
      );
      const topic = await failure(
        add,
        client,
        { source: "feed", topic: "" },
        admin(),
      );
      const both = await failure(
        add,
        client,
        { source: "", topic: "" },
        admin(),
      );

      assert.equal(source.code, status.INVALID_ARGUMENT);
      assert.equal(source.details, "source: required");
      assert.equal(topic.code, status.INVALID_ARGUMENT);
      assert.equal(topic.details, "topic: required");
      assert.equal(both.details, "source: required; topic: required");
    });

    it("answers INVALID_ARGUMENT on topic for a bad or unmatched topic", async () => {
      const add = client.addUpstreamSubscription;

      const bad = await failure(
        add,
        client,
        { source: "feed", topic: "trades..C" },
        admin(),
      );
      const unmatched = await failure(
        add,
        client,
        { source: "feed", topic: "book.C" },
        admin(),
      );

      assert.equal(bad.code, status.INVALID_ARGUMENT);
      assert.match(bad.details, /^topic: /);
      assert.equal(unmatched.code, status.INVALID_ARGUMENT);
      assert.equal(
        unmatched.details,
        "topic: no onDemand rule of feed matches",
      );
    });

    it("answers NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS", async () => {
      const add = client.addUpstreamSubscription;
      await call(add, client, { source: "feed", topic: "trades.C" }, admin());

      const ghost = await failure(
        add,
        client,
        { source: "ghost", topic: "trades.C" },
        admin(),
      );
      const plain = await failure(
        add,
        client,
        { source: "plain", topic: "t" },
        admin(),
      );
      const again = await failure(
        add,
        client,
        { source: "feed", topic: "trades.C" },
        admin(),
      );

      assert.equal(ghost.code, status.NOT_FOUND);
      assert.equal(plain.code, status.FAILED_PRECONDITION);
      assert.equal(again.code, status.ALREADY_EXISTS);
      assert.match(again.details, /trades\.C is standing on source feed/);
    });

    it("answers RESOURCE_EXHAUSTED at the limit and adds nothing", async () => {
      const add = client.addUpstreamSubscription;
      await call(add, client, { source: "feed", topic: "trades.C" }, admin());

      const full = await failure(
        add,
        client,
        { source: "feed", topic: "trades.D" },
        admin(),
      );
      const listed = await call(
        client.listUpstreamSubscriptions,
        client,
        { source: "feed" },
        admin(),
      );

      assert.equal(full.code, status.RESOURCE_EXHAUSTED);
      assert.match(full.details, /limit of 3/);
      assert.deepEqual(
        listed.sources[0]?.subscriptions.map((s) => s.topic),
        ["trades.A", "trades.B", "trades.C"],
      );
    });
  });

  describe("RemoveUpstreamSubscription", () => {
    it("ends a standing topic, which lingers without subscribers", async () => {
      const request = { source: "feed", topic: "trades.C" };
      await call(client.addUpstreamSubscription, client, request, admin());
      control.upstream.now = () => 9_500;

      const res = await call(
        client.removeUpstreamSubscription,
        client,
        request,
        admin(),
      );

      const topic = res.source?.subscriptions.find(
        (s) => s.topic === "trades.C",
      );
      assert.equal(topic?.standing, false);
      assert.equal(topic?.state, LINGERING);
      assert.equal(topic?.sinceMs, 9_500);
    });

    it("names the empty field and answers NOT_FOUND, FAILED_PRECONDITION", async () => {
      const rm = client.removeUpstreamSubscription;

      const source = await failure(
        rm,
        client,
        { source: "", topic: "trades.A" },
        admin(),
      );
      const topic = await failure(
        rm,
        client,
        { source: "feed", topic: "" },
        admin(),
      );
      const notStanding = await failure(
        rm,
        client,
        { source: "feed", topic: "trades.A" },
        admin(),
      );
      const ghost = await failure(
        rm,
        client,
        { source: "ghost", topic: "trades.A" },
        admin(),
      );
      const plain = await failure(
        rm,
        client,
        { source: "plain", topic: "t" },
        admin(),
      );

      assert.equal(source.code, status.INVALID_ARGUMENT);
      assert.equal(source.details, "source: required");
      assert.equal(topic.code, status.INVALID_ARGUMENT);
      assert.equal(topic.details, "topic: required");
      assert.equal(notStanding.code, status.NOT_FOUND);
      assert.match(notStanding.details, /trades\.A is not standing/);
      assert.equal(ghost.code, status.NOT_FOUND);
      assert.equal(plain.code, status.FAILED_PRECONDITION);
    });
  });

  describe("auth", () => {
    it("lets a read token list", async () => {
      const res = await call(
        client.listUpstreamSubscriptions,
        client,
        { source: "" },
        bearer(READER),
      );

      assert.equal(res.sources.length, 2);
    });

    it("needs an admin token to add or remove", async () => {
      const request = { source: "feed", topic: "trades.C" };

      const add = await failure(
        client.addUpstreamSubscription,
        client,
        request,
        bearer(READER),
      );
      const rm = await failure(
        client.removeUpstreamSubscription,
        client,
        request,
        bearer(READER),
      );
      const listed = control.listUpstreamSubscriptions("feed");

      assert.equal(add.code, status.PERMISSION_DENIED);
      assert.match(add.details, /^AddUpstreamSubscription needs an admin/);
      assert.equal(rm.code, status.PERMISSION_DENIED);
      assert.match(rm.details, /^RemoveUpstreamSubscription needs an admin/);
      assert.equal(listed[0]?.subscriptions.length, 2);
    });

    it("answers UNAUTHENTICATED without a token", async () => {
      const err = await failure(client.listUpstreamSubscriptions, client, {
        source: "",
      });

      assert.equal(err.code, status.UNAUTHENTICATED);
    });
  });

  describe("WatchEvents", () => {
    it("streams upstream-subscription events, mapped", async () => {
      const stream = client.watchEvents({}, bearer(READER));
      const received: WatchEventsResponse[] = [];
      const ended: { error?: ServiceError } = {};
      stream.on("data", (event: WatchEventsResponse) => received.push(event));
      stream.on("error", (error: ServiceError) => {
        ended.error = error;
      });
      await new Promise((resolve) => stream.once("metadata", resolve));

      control.subject.next({
        type: "upstream-subscription",
        source: "feed",
        topic: "trades.D",
        change: "limit-reached",
        reason: "at maxSubscriptions 3",
        at: 11,
      });
      await call(
        client.addUpstreamSubscription,
        client,
        { source: "book", topic: "book.L2.X" },
        admin(),
      );
      await waitFor("two events", () => received.length === 2);
      stream.cancel();

      assert.deepEqual(received, [
        {
          timeMs: 11,
          event: {
            $case: "upstreamSubscription",
            value: {
              source: "feed",
              topic: "trades.D",
              change: UpstreamChange.UPSTREAM_CHANGE_LIMIT_REACHED,
              reason: "at maxSubscriptions 3",
            },
          },
        },
        {
          timeMs: 9_000,
          event: {
            $case: "upstreamSubscription",
            value: {
              source: "book",
              topic: "book.L2.X",
              change: UpstreamChange.UPSTREAM_CHANGE_SUBSCRIBED,
              reason: "",
            },
          },
        },
      ]);
      assert.equal(ended.error, undefined);
    });
  });
});

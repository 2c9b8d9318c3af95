import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  type ControlServiceClient,
  Origin,
  type Source,
  SourceState,
  Transport,
} from "../../../src/gen/tributary/v1/control.js";
import type { GrpcServer } from "../../../src/serve/grpc/index.js";
import { call, controlClient, failure } from "./grpc-test-client.js";
import {
  BROKEN_ID,
  type MemoryControl,
  serveMemoryControl,
} from "./memory-control.js";

const CODEC = { format: "json", topic: "trades.{/symbol}" };

function protoSource(overrides: Partial<Source> = {}): Source {
  return {
    id: "alpha",
    url: "ws://127.0.0.1:1/feed",
    headers: {},
    subscribe: [],
    staleAfterMs: 0,
    connectTimeoutMs: 0,
    codec: CODEC,
    ...overrides,
  };
}

describe("ControlService", () => {
  let control: MemoryControl;
  let server: GrpcServer;
  let client: ControlServiceClient;

  before(async () => {
    let port: number;
    ({ control, server, port } = await serveMemoryControl());
    client = controlClient(port);
  });
  after(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    control.sources.clear();
    control.groups.clear();
    control.received.length = 0;
  });

  describe("AddSource", () => {
    it("passes zeros and empties as absent so defaults apply", async () => {
      const { source } = await call(client.addSource, client, {
        source: protoSource(),
      });

      assert.deepEqual(control.received[0], {
        id: "alpha",
        url: "ws://127.0.0.1:1/feed",
        codec: CODEC,
      });
      assert.equal(source?.source?.connectTimeoutMs, 10_000);
      assert.deepEqual(source?.source?.heartbeat, {
        kind: { $case: "ping", value: { intervalMs: 10_000 } },
      });
      assert.deepEqual(source?.source?.reconnect, {
        initialDelayMs: 250,
        maxDelayMs: 30_000,
        multiplier: 2,
      });
      assert.equal(source?.health?.state, SourceState.SOURCE_STATE_CONNECTING);
      assert.equal(source?.counters?.translated, 4);
      assert.equal(source?.origin, Origin.ORIGIN_CONTROL);
      assert.equal(source?.group, "alpha");
    });

    it("maps heartbeat, reconnect, headers and subscribe", async () => {
      await call(client.addSource, client, {
        source: protoSource({
          headers: { "x-key": "k" },
          subscribe: ['{"op":"sub"}'],
          heartbeat: {
            kind: { $case: "frame", value: { intervalMs: 0, frame: "hb" } },
          },
          reconnect: { initialDelayMs: 100, maxDelayMs: 0, multiplier: 3 },
          staleAfterMs: 5_000,
          connectTimeoutMs: 2_000,
        }),
      });

      assert.deepEqual(control.received[0], {
        id: "alpha",
        url: "ws://127.0.0.1:1/feed",
        headers: { "x-key": "k" },
        subscribe: ['{"op":"sub"}'],
        heartbeat: { type: "frame", frame: "hb" },
        staleAfterMs: 5_000,
        connectTimeoutMs: 2_000,
        reconnect: { initialDelayMs: 100, multiplier: 3 },
        codec: CODEC,
      });
    });

    it("names every invalid field under source.", async () => {
      const error = await failure(client.addSource, client, {
        source: protoSource({
          url: "http://example.com",
          codec: { format: "json", topic: "trades.{symbol" },
        }),
      });

      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.match(error.details, /^source\.url: expected a ws:\/\/ or wss/);
      assert.match(error.details, /; source\.codec\.topic: /);
    });

    it("answers INVALID_ARGUMENT for a missing source or id", async () => {
      const none = await failure(client.addSource, client, {});
      const noId = await failure(client.addSource, client, {
        source: protoSource({ id: "" }),
      });

      assert.equal(none.code, status.INVALID_ARGUMENT);
      assert.equal(none.details, "source: required");
      assert.equal(noId.code, status.INVALID_ARGUMENT);
      assert.equal(noId.details, "source.id: required");
      assert.equal(control.received.length, 0);
    });

    it("answers ALREADY_EXISTS for a taken id", async () => {
      await call(client.addSource, client, { source: protoSource() });
      const error = await failure(client.addSource, client, {
        source: protoSource(),
      });

      assert.equal(error.code, status.ALREADY_EXISTS);
      assert.equal(error.details, "source alpha exists");
    });

    it("answers INTERNAL without internals for a gateway bug", async () => {
      const error = await failure(client.addSource, client, {
        source: protoSource({ id: BROKEN_ID }),
      });

      assert.equal(error.code, status.INTERNAL);
      assert.equal(error.details, "internal error");
    });
  });

  describe("UpdateSource", () => {
    it("answers NOT_FOUND for an unknown source", async () => {
      const error = await failure(client.updateSource, client, {
        source: protoSource({ id: "ghost" }),
      });

      assert.equal(error.code, status.NOT_FOUND);
    });

    it("returns the new settings", async () => {
      await call(client.addSource, client, { source: protoSource() });
      const { source } = await call(client.updateSource, client, {
        source: protoSource({ staleAfterMs: 900 }),
      });

      assert.equal(source?.source?.staleAfterMs, 900);
    });
  });

  describe("GetSource, ListSources, RemoveSource", () => {
    it("lists sorted, gets one and maps a down health", async () => {
      await call(client.addSource, client, {
        source: protoSource({ id: "b" }),
      });
      await call(client.addSource, client, {
        source: protoSource({ id: "a" }),
      });
      control.setHealth("b", {
        state: "down",
        reason: "connect refused: ECONNREFUSED",
        since: 50,
        retryInMs: 10,
        nextRetryAt: 60,
      });

      const { sources } = await call(client.listSources, client, {});
      const { source } = await call(client.getSource, client, { id: "b" });

      assert.deepEqual(
        sources.map((s) => s.source?.id),
        ["a", "b"],
      );
      assert.deepEqual(source?.health, {
        state: SourceState.SOURCE_STATE_DOWN,
        reason: "connect refused: ECONNREFUSED",
        sinceMs: 50,
        nextRetryMs: 60,
      });
    });

    it("answers INVALID_ARGUMENT naming id, and NOT_FOUND", async () => {
      const blank = await failure(client.getSource, client, { id: "" });
      const ghost = await failure(client.removeSource, client, { id: "x" });

      assert.equal(blank.code, status.INVALID_ARGUMENT);
      assert.equal(blank.details, "id: required");
      assert.equal(ghost.code, status.NOT_FOUND);
    });

    it("removes a source", async () => {
      await call(client.addSource, client, { source: protoSource() });
      await call(client.removeSource, client, { id: "alpha" });

      const { sources } = await call(client.listSources, client, {});
      assert.equal(sources.length, 0);
    });
  });

  describe("PauseSource and ResumeSource", () => {
    it("report the paused state, then connecting", async () => {
      await call(client.addSource, client, { source: protoSource() });

      const paused = await call(client.pauseSource, client, { id: "alpha" });
      const resumed = await call(client.resumeSource, client, { id: "alpha" });

      const state = (r: typeof paused) => r.source?.health?.state;
      assert.equal(state(paused), SourceState.SOURCE_STATE_PAUSED);
      assert.equal(state(resumed), SourceState.SOURCE_STATE_CONNECTING);
    });

    it("answer NOT_FOUND for an unknown source", async () => {
      const error = await failure(client.pauseSource, client, { id: "x" });

      assert.equal(error.code, status.NOT_FOUND);
    });
  });

  describe("groups", () => {
    beforeEach(async () => {
      for (const id of ["a", "b"]) {
        await call(client.addSource, client, { source: protoSource({ id }) });
      }
    });

    it("SetGroup maps members, dedupe and failback", async () => {
      const { group } = await call(client.setGroup, client, {
        group: {
          id: "g",
          mode: "active-standby",
          dataDeadlineMs: 0,
          members: [
            { id: "a", priority: 0 },
            { id: "b", priority: 5 },
          ],
          dedupe: { by: "id", window: 100 },
        },
      });

      assert.deepEqual(control.received.at(-1), {
        id: "g",
        mode: "active-standby",
        sources: [{ id: "a" }, { id: "b", priority: 5 }],
        dedupe: { by: "id", window: 100 },
      });
      assert.deepEqual(group?.group?.members, [
        { id: "a", priority: 0 },
        { id: "b", priority: 5 },
      ]);
      assert.deepEqual(group?.group?.failback, {
        mode: "auto",
        holdDownMs: 10_000,
      });
      assert.equal(group?.active, "a");
      assert.equal(group?.members[1]?.accepted, 11);
      const { groups } = await call(client.listGroups, client, {});
      assert.deepEqual(
        groups.map((g) => g.group?.id),
        ["g"],
      );
    });

    it("SetGroup names an unknown member as group.members[i]", async () => {
      const error = await failure(client.setGroup, client, {
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

      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.equal(error.details, "group.members[1]: no such source");
    });

    it("SetGroup names schema problems in proto terms", async () => {
      const empty = await failure(client.setGroup, client, {
        group: { id: "g", mode: "hot", dataDeadlineMs: 0, members: [] },
      });
      const blank = await failure(client.setGroup, client, {
        group: {
          id: "g",
          mode: "",
          dataDeadlineMs: 0,
          members: [{ id: "", priority: 0 }],
        },
      });
      const noId = await failure(client.setGroup, client, {
        group: { id: "", mode: "", dataDeadlineMs: 0, members: [] },
      });

      assert.equal(empty.code, status.INVALID_ARGUMENT);
      assert.match(empty.details, /^group\.mode: /);
      assert.match(empty.details, /; group\.members: /);
      assert.equal(blank.details, "group.members[0].id: required");
      assert.equal(noId.details, "group.id: required");
    });

    it("SetGroup answers FAILED_PRECONDITION for a member of another", async () => {
      const members = [{ id: "a", priority: 0 }];
      await call(client.setGroup, client, {
        group: { id: "g1", mode: "", dataDeadlineMs: 0, members },
      });
      const error = await failure(client.setGroup, client, {
        group: { id: "g2", mode: "", dataDeadlineMs: 0, members },
      });

      assert.equal(error.code, status.FAILED_PRECONDITION);
    });

    it("RemoveGroup answers NOT_FOUND for an unknown group", async () => {
      const error = await failure(client.removeGroup, client, { id: "zz" });

      assert.equal(error.code, status.NOT_FOUND);
    });

    it("Failover names missing fields and a non-member", async () => {
      await call(client.setGroup, client, {
        group: {
          id: "g",
          mode: "active-standby",
          dataDeadlineMs: 0,
          members: [],
        },
      }).catch(() => undefined);
      const members = [
        { id: "a", priority: 0 },
        { id: "b", priority: 0 },
      ];
      await call(client.setGroup, client, {
        group: { id: "g", mode: "active-standby", dataDeadlineMs: 0, members },
      });

      const blank = await failure(client.failover, client, {
        group: "",
        source: "",
      });
      const outsider = await failure(client.failover, client, {
        group: "g",
        source: "c",
      });
      const { group } = await call(client.failover, client, {
        group: "g",
        source: "b",
      });

      assert.equal(blank.code, status.INVALID_ARGUMENT);
      assert.equal(blank.details, "group: required; source: required");
      assert.equal(outsider.code, status.INVALID_ARGUMENT);
      assert.equal(outsider.details, "source: c is not a member of g");
      assert.equal(group?.active, "b");
    });
  });

  describe("ListTopics", () => {
    before(() => {
      control.topics = ["book.X", "trades.A", "trades.B"].map((topic) => ({
        topic,
        seq: 3,
        epoch: "e1",
        messages: 3,
        lastMessageAt: 99,
        messageRate: 1.5,
        subscribers: 2,
        sources: ["a", "b"],
        gaps: 1,
      }));
    });

    it("filters by pattern and maps every field", async () => {
      const { topics } = await call(client.listTopics, client, {
        pattern: "trades.*",
      });
      const all = await call(client.listTopics, client, { pattern: "" });

      assert.deepEqual(topics[0], {
        topic: "trades.A",
        seq: 3,
        epoch: "e1",
        messageRate: 1.5,
        subscribers: 2,
        sources: ["a", "b"],
        messages: 3,
        lastMessageMs: 99,
        gaps: 1,
      });
      assert.equal(topics.length, 2);
      assert.equal(all.topics.length, 3);
    });

    it("names the pattern field of a bad pattern", async () => {
      const error = await failure(client.listTopics, client, {
        pattern: "a b",
      });

      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.equal(error.details, "pattern: a token may not contain ' '");
    });
  });

  describe("ListClients and DisconnectClient", () => {
    before(() => {
      control.clients = [
        {
          id: "c1",
          transport: "websocket",
          remoteAddress: "127.0.0.1:5000",
          subscriptions: ["trades.>"],
          queueDepth: 2,
          sent: 40,
          dropped: 1,
          gaps: 0,
          connectedAt: 12,
          protocol: "tributary.v1.json",
          stalled: false,
          policies: { "trades.>": "disconnect" },
        },
      ];
    });

    it("lists clients with their transport", async () => {
      const { clients } = await call(client.listClients, client, {});

      assert.equal(clients[0]?.transport, Transport.TRANSPORT_WEBSOCKET);
      assert.equal(clients[0]?.connectedMs, 12);
      assert.deepEqual(clients[0]?.subscriptions, ["trades.>"]);
    });

    it("disconnects with the reason given, or a default", async () => {
      await call(client.disconnectClient, client, { id: "c1", reason: "bye" });
      await call(client.disconnectClient, client, { id: "c1", reason: "" });

      assert.deepEqual(control.disconnected, [
        { id: "c1", reason: "bye" },
        { id: "c1", reason: "disconnected by an operator" },
      ]);
    });

    it("answers NOT_FOUND and INVALID_ARGUMENT", async () => {
      const ghost = await failure(client.disconnectClient, client, {
        id: "zz",
        reason: "",
      });
      const blank = await failure(client.disconnectClient, client, {
        id: "",
        reason: "",
      });

      assert.equal(ghost.code, status.NOT_FOUND);
      assert.equal(blank.details, "id: required");
    });
  });
});

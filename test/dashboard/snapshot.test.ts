import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DashboardViews,
  SnapshotBuilder,
} from "../../src/dashboard/index.js";
import type {
  ClientView,
  GroupView,
  SourceView,
  TopicView,
} from "../../src/gateway/index.js";
import { clientView, groupView, sourceView, topicView } from "./helpers.js";

/** Views a test changes between builds. */
function viewsOf(parts: {
  sources?: SourceView[];
  groups?: GroupView[];
  topics?: TopicView[];
  clients?: ClientView[];
}): DashboardViews & typeof parts {
  return {
    ...parts,
    listSources() {
      return this.sources ?? [];
    },
    listGroups() {
      return this.groups ?? [];
    },
    listTopics() {
      return this.topics ?? [];
    },
    listClients() {
      return this.clients ?? [];
    },
  };
}

describe("SnapshotBuilder", () => {
  describe("build", () => {
    it("shows each source's health, reason and rate", () => {
      const down = {
        state: "down" as const,
        reason: "connection refused",
        since: 500,
        retryInMs: 250,
        nextRetryAt: 750,
      };
      const views = viewsOf({
        sources: [
          sourceView("a", { frames: 40, frameRate: 8, skipped: 2 }),
          sourceView("b", { failed: 3 }, down),
        ],
      });

      const snap = new SnapshotBuilder().build(views, 2000);

      assert.deepEqual(
        snap.sources.map((s) => [s.id, s.state, s.reason, s.frameRate]),
        [
          ["a", "up", "connected", 8],
          ["b", "down", "connection refused", 0],
        ],
      );
      assert.equal(snap.sources[1].nextRetryAt, 750);
      assert.equal(snap.drops.skipped, 2);
      assert.equal(snap.drops.failed, 3);
      assert.deepEqual(snap.sample.sources, { a: 8, b: 0 });
    });

    it("dates the last frame to the build that saw the count grow", () => {
      const views = viewsOf({ sources: [sourceView("a", { frames: 5 })] });
      const builder = new SnapshotBuilder();

      const first = builder.build(views, 1000);
      const quiet = builder.build(views, 2000);
      views.sources = [sourceView("a", { frames: 9 })];
      const later = builder.build(views, 3000);

      assert.equal(first.sources[0].lastFrameAt, 1000);
      assert.equal(quiet.sources[0].lastFrameAt, 1000);
      assert.equal(later.sources[0].lastFrameAt, 3000);
    });

    it("leaves out the last frame of a source that never had one", () => {
      const views = viewsOf({ sources: [sourceView("a")] });

      const snap = new SnapshotBuilder().build(views, 1000);

      assert.equal(snap.sources[0].lastFrameAt, undefined);
    });

    it("counts switches away from an active member per group", () => {
      const views = viewsOf({ groups: [groupView("g", ["a", "b"], "b")] });
      const builder = new SnapshotBuilder();
      const failover = {
        type: "failover" as const,
        group: "g",
        from: "a",
        to: "b",
        reason: "a is down",
        at: 1,
      };

      builder.observe({ ...failover, from: undefined, to: "a" });
      builder.observe(failover);
      builder.observe({ ...failover, group: "other" });
      builder.observe({ ...failover, from: "b", to: "a" });
      const snap = builder.build(views, 1000);

      assert.equal(snap.groups[0].failovers, 2);
      assert.equal(snap.groups[0].active, "b");
      assert.equal(snap.groups[0].mode, "active-standby");
      assert.deepEqual(
        snap.groups[0].members.map((m) => [m.id, m.state]),
        [
          ["a", "up"],
          ["b", "up"],
        ],
      );
      assert.equal(snap.drops.duplicates, 1);
    });

    it("lists the busiest topics first, up to maxTopics", () => {
      const views = viewsOf({
        topics: [
          topicView("t.slow", 1, ["a"]),
          topicView("t.fast", 9, ["a", "b"], 2),
          topicView("t.mid", 5, ["b"], 1),
        ],
      });

      const snap = new SnapshotBuilder({ maxTopics: 2 }).build(views, 1000);

      assert.deepEqual(
        snap.topics.map((t) => [t.topic, t.rate, t.sources]),
        [
          ["t.fast", 9, ["a", "b"]],
          ["t.mid", 5, ["b"]],
        ],
      );
      assert.equal(snap.topicCount, 3);
      assert.equal(snap.sample.published, 15);
      assert.equal(snap.drops.gaps, 3, "gaps of unlisted topics count too");
    });

    it("keeps the counts of clients that left in their transport", () => {
      const views = viewsOf({
        clients: [
          clientView("ws-1", "websocket", 100, 4),
          clientView("ws-2", "websocket", 50),
          clientView("grpc-1", "grpc", 10),
        ],
      });
      const builder = new SnapshotBuilder();

      builder.build(views, 1000);
      views.clients = [clientView("ws-2", "websocket", 70)];
      const snap = builder.build(views, 2000);

      const ws = snap.transports.find((t) => t.transport === "websocket");
      const grpc = snap.transports.find((t) => t.transport === "grpc");
      assert.deepEqual(ws, {
        transport: "websocket",
        connected: 1,
        queued: 0,
        sent: 170,
        dropped: 4,
      });
      assert.equal(grpc?.connected, 0);
      assert.equal(grpc?.sent, 10);
      assert.equal(snap.drops.clientDrops, 4);
      assert.equal(snap.sample.delivered, 20, "20 more sent in 1 s");
    });

    it("reports a zero delivery rate on the first build", () => {
      const views = viewsOf({
        clients: [clientView("ws-1", "websocket", 100)],
      });

      const snap = new SnapshotBuilder().build(views, 1000);

      assert.equal(snap.sample.delivered, 0);
      assert.equal(snap.transports.length, 2, "every transport is listed");
    });
  });
});

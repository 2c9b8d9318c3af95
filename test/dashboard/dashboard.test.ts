import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import {
  bearerSubprotocol,
  createDashboard,
  DASHBOARD_SUBPROTOCOL,
  type Dashboard,
  type DashboardMessage,
  type DashboardSnapshot,
} from "../../src/dashboard/index.js";
import type { GatewayEvent } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";
import { READ_TOKEN, serveDashboard, TOKENS_AUTH } from "./helpers.js";

/** A dashboard socket and everything it received, parsed. */
interface Viewer {
  readonly ws: WebSocket;
  readonly messages: DashboardMessage[];
  snapshots(): DashboardSnapshot[];
  events(): GatewayEvent[];
}

/** Opens the socket; resolves with the HTTP status when it is refused. */
function openViewer(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<Viewer | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const messages: DashboardMessage[] = [];
    ws.on("message", (data) => messages.push(JSON.parse(data.toString())));
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("error", reject);
    ws.once("open", () =>
      resolve({
        ws,
        messages,
        snapshots: () =>
          messages.filter((m) => m.type === "snapshot") as DashboardSnapshot[],
        events: () =>
          messages.flatMap((m) => (m.type === "event" ? [m.event] : [])),
      }),
    );
  });
}

describe("dashboard on a running gateway", () => {
  const upstreamA = new TestUpstream();
  const upstreamB = new TestUpstream();
  let gw: RunningGateway;
  let dashboard: Dashboard;
  let http: Awaited<ReturnType<typeof serveDashboard>>;
  let feeding: NodeJS.Timeout;
  const viewers: WebSocket[] = [];
  let aStopped = false;

  const liveUrl = () => `${http.base.replace("http", "ws")}/dashboard/live`;
  const readProtocols = [DASHBOARD_SUBPROTOCOL, bearerSubprotocol(READ_TOKEN)];

  async function viewer(): Promise<Viewer> {
    const opened = await openViewer(liveUrl(), readProtocols);
    assert.notEqual(typeof opened, "number", `refused with ${opened}`);
    const live = opened as Viewer;
    viewers.push(live.ws);
    return live;
  }

  before(async () => {
    await Promise.all([upstreamA.start(), upstreamB.start()]);
    const source = (id: string, upstream: TestUpstream) => ({
      id,
      url: upstream.url,
      codec: AB_CODEC,
      reconnect: FAST_RECONNECT,
    });
    gw = await startGateway({
      sources: [source("a", upstreamA), source("b", upstreamB)],
      groups: [{ id: "g", mode: "active-standby", sources: ["a", "b"] }],
      auth: TOKENS_AUTH,
    });
    dashboard = createDashboard({
      control: gw.gateway.control,
      auth: gw.gateway.config.auth,
      logger: createSilentLogger(),
      intervalMs: 200,
    });
    http = await serveDashboard(dashboard);
    let n = 0;
    feeding = setInterval(() => {
      n++;
      if (!aStopped) upstreamA.send({ a: "trades", b: "x", n });
      upstreamB.send({ a: "trades", b: "x", n });
      upstreamB.send({ a: "trades", b: "y", n });
    }, 20);
  });
  afterEach(() => {
    for (const ws of viewers.splice(0)) ws.terminate();
  });
  after(async () => {
    clearInterval(feeding);
    dashboard.close();
    await http.close();
    await gw.stop();
    await Promise.all([upstreamA.stop(), upstreamB.stop()]);
  });

  describe("the page", () => {
    it("answers 401 without a token, naming the scheme", async () => {
      const res = await fetch(`${http.base}/`);

      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
      assert.match(await res.text(), /\?token=/);
    });

    it("answers 401 for a wrong token", async () => {
      const res = await fetch(`${http.base}/?token=not-a-real-token-at-all`);

      assert.equal(res.status, 401);
    });

    it("serves the page for a read token, with a strict policy", async () => {
      const res = await fetch(`${http.base}/?token=${READ_TOKEN}`);

      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(res.headers.get("content-security-policy") ?? "", /none/);
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.match(await res.text(), /<title>Tributary dashboard<\/title>/);
    });

    it("answers 405 to a POST and leaves other paths to the caller", async () => {
      const post = await fetch(`${http.base}/?token=${READ_TOKEN}`, {
        method: "POST",
      });
      const other = await fetch(`${http.base}/healthz`);

      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD");
      assert.equal(other.status, 404, "handleHttp returned false");
    });

    it("serves the snapshot as JSON to a bearer header", async () => {
      const res = await fetch(`${http.base}/dashboard/snapshot.json`, {
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });

      assert.equal(res.status, 200);
      const snap = (await res.json()) as DashboardSnapshot;
      assert.deepEqual(
        snap.sources.map((s) => s.id),
        ["a", "b"],
      );
    });
  });

  describe("the live socket", () => {
    it("refuses an upgrade without a token with 401", async () => {
      const status = await openViewer(liveUrl(), [DASHBOARD_SUBPROTOCOL]);

      assert.equal(status, 401);
    });

    it("refuses an upgrade with a wrong token with 401", async () => {
      const protocols = [DASHBOARD_SUBPROTOCOL, bearerSubprotocol("wrong")];

      assert.equal(await openViewer(liveUrl(), protocols), 401);
    });

    it("refuses a client that does not speak its subprotocol", async () => {
      const headers = { authorization: `Bearer ${READ_TOKEN}` };

      const status = await openViewer(liveUrl(), ["chat"], headers);

      assert.equal(status, 400);
    });

    it("greets with history, then sends snapshots with live rates", async () => {
      const live = await viewer();

      await waitFor("both sources with a rate", () =>
        live
          .snapshots()
          .some((s) => s.sources.every((source) => source.frameRate > 0)),
      );
      assert.equal(live.ws.protocol, DASHBOARD_SUBPROTOCOL);
      assert.equal(live.messages[0].type, "hello");
      const last = live.snapshots().at(-1) as DashboardSnapshot;
      assert.deepEqual(
        last.topics.map((t) => [t.topic, t.sources]),
        [["trades.x", ["a"]]],
        "active-standby passes only the active member",
      );
      assert.equal(last.groups[0].active, "a");
    });

    it("pushes a source going down and the failover it causes", async () => {
      const live = await viewer();
      await waitFor("a first snapshot", () => live.snapshots().length > 0);
      const before = live.snapshots()[0].groups[0].failovers;

      aStopped = true;
      await upstreamA.stop();

      await waitFor("a failover event", () =>
        live.events().some((e) => e.type === "failover"),
      );
      const down = live
        .events()
        .find((e) => e.type === "source-health" && e.to.state === "down");
      assert.equal(down?.type === "source-health" && down.source, "a");
      const failover = live.events().find((e) => e.type === "failover");
      assert.deepEqual(
        failover?.type === "failover" && [failover.from, failover.to],
        ["a", "b"],
      );
      await waitFor("a snapshot after the failover", () =>
        live.snapshots().some((s) => s.groups[0].failovers === before + 1),
      );
      const after = live.snapshots().at(-1) as DashboardSnapshot;
      assert.equal(after.sources.find((s) => s.id === "a")?.state, "down");
      assert.equal(after.groups[0].active, "b");
      await waitFor("b in the lineage of both topics", () => {
        const topics = live.snapshots().at(-1)?.topics ?? [];
        return (
          topics.length === 2 && topics.every((t) => t.sources.includes("b"))
        );
      });
    });
  });
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { handleHttpRequest } from "../../src/gateway/http-routes.js";
import {
  checkReadiness,
  GatewayTelemetry,
  type GroupReading,
  type Readiness,
  type SourceReading,
} from "../../src/telemetry/index.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { sample, waitFor } from "./helpers.js";

const ZERO = { frames: 0, translated: 0, skipped: 0, failed: 0 };

function solo(id: string, state: string): SourceReading {
  return { config: { id }, health: { state }, counters: ZERO, group: id };
}

function member(id: string, group: string, state: string): SourceReading {
  return { config: { id }, health: { state }, counters: ZERO, group };
}

function group(
  id: string,
  mode: string,
  states: Record<string, string>,
  active?: string,
): GroupReading {
  const members = Object.entries(states).map(([m, state]) => ({
    id: m,
    health: { state },
    duplicates: 0,
  }));
  return { config: { id, mode }, members, active };
}

function check(sources: SourceReading[], groups: GroupReading[]) {
  return checkReadiness({
    listSources: () => sources,
    listGroups: () => groups,
  });
}

describe("checkReadiness", () => {
  it("is ready when every group has an active source", () => {
    const result = check(
      [solo("s", "up"), member("a", "g", "down"), member("b", "g", "up")],
      [
        group("g", "active-active", { a: "down", b: "up" }),
        group("h", "active-standby", { c: "up", d: "down" }, "c"),
      ],
    );

    assert.deepEqual(result, { ready: true, problems: [] });
  });

  it("names each group that has no active source, sorted", () => {
    const result = check(
      [solo("z", "connecting"), member("a", "g", "stale")],
      [
        group("g", "active-active", { a: "stale", b: "down" }),
        group("h", "active-standby", { c: "up" }),
      ],
    );

    assert.deepEqual(result, {
      ready: false,
      problems: [
        {
          group: "g",
          reason: "no member is up",
          members: { a: "stale", b: "down" },
        },
        { group: "h", reason: "no active member", members: { c: "up" } },
        { group: "z", reason: "no member is up", members: { z: "connecting" } },
      ],
    });
  });

  it("leaves out what an operator paused", () => {
    const result = check(
      [solo("s", "paused")],
      [
        group("g", "active-active", { a: "paused", b: "paused" }),
        group("h", "active-active", { c: "paused", d: "down" }),
      ],
    );

    assert.deepEqual(result.problems, [
      { group: "h", reason: "no member is up", members: { d: "down" } },
    ]);
  });

  it("is ready with no sources at all", () => {
    assert.equal(check([], []).ready, true);
  });
});

describe("readiness and metrics of a running gateway", () => {
  let upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  let telemetry: GatewayTelemetry | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
    await gw?.stop();
    await telemetry?.close();
    await upstream.stop();
  });

  /** Serves the routes over a real port, reading the real gateway. */
  async function serveRoutes(t: GatewayTelemetry): Promise<string> {
    const context = {
      readiness: () => t.readiness(),
      metrics: () => t.renderMetrics(),
    };
    server = createServer((req, res) => handleHttpRequest(req, res, context));
    await new Promise<void>((resolve) =>
      server?.listen(0, "127.0.0.1", resolve),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("turns 503 when the only source is down, 200 when back", async () => {
    await upstream.start();
    const port = upstream.port;
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: AB_CODEC,
        },
      ],
    });
    telemetry = new GatewayTelemetry();
    telemetry.watch(gw.gateway.control);
    const url = await serveRoutes(telemetry);
    const status = async () => (await fetch(`${url}/readyz`)).status;
    await waitFor(
      "the source to be up",
      () => telemetry?.readiness().ready === true,
    );
    assert.equal(await status(), 200);

    upstream.send({ a: "x", b: "y" });
    upstream.send({ a: "x", b: "z" });
    await waitFor("the frames to be counted", () => {
      return gw?.gateway.control.getSource("feed").counters.frames === 2;
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const feed = { tributary_source_id: "feed" };
    assert.equal(sample(metrics, "tributary_source_frames_total", feed), 2);
    assert.equal(sample(metrics, "tributary_source_messages_total", feed), 2);

    await upstream.stop();
    await waitFor("readiness to fail", () => !telemetry?.readiness().ready);
    const down = await fetch(`${url}/readyz`);
    assert.equal(down.status, 503);
    const body = (await down.json()) as Readiness;
    assert.equal(body.ready, false);
    assert.equal(body.problems[0]?.group, "feed");
    assert.equal(body.problems[0]?.reason, "no member is up");

    upstream = new TestUpstream();
    await upstream.start(port);
    await waitFor(
      "readiness to return",
      () => telemetry?.readiness().ready === true,
    );
    assert.equal(await status(), 200);
  });
});

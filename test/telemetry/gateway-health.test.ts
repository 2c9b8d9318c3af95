import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { checkHealth } from "../serve/grpc/stock-clients.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitForValue } from "./helpers.js";

/** Status and JSON body of GET /readyz. */
async function readyz(gw: RunningGateway) {
  const res = await fetch(`${gw.httpUrl}/readyz`);
  return { status: res.status, body: await res.json() };
}

describe("readiness of a running gateway whose only source goes down", () => {
  let upstream = new TestUpstream();
  let gw: RunningGateway | undefined;

  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await upstream.stop();
  });

  async function startWithGroupOfOne(): Promise<RunningGateway> {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "text", topic: "chat.lobby" },
        },
      ],
      groups: [{ id: "g", sources: ["feed"] }],
    });
    return gw;
  }

  /** Stops the upstream, then brings a new one up on the same port. */
  async function restartUpstreamAfter(check: () => Promise<void>) {
    const port = upstream.port;
    await upstream.stop();
    await check();
    upstream = new TestUpstream();
    await upstream.start(port);
  }

  it("/readyz turns 503 with the group and 200 when it returns", async () => {
    const running = await startWithGroupOfOne();
    const ready = { status: 200, body: { ready: true, problems: [] } };
    await waitForValue("ready", () => readyz(running), ready);

    await restartUpstreamAfter(async () => {
      const down = {
        status: 503,
        body: {
          ready: false,
          problems: [
            {
              group: "g",
              reason: "no member is up",
              members: { feed: "down" },
            },
          ],
        },
      };
      await waitForValue("not ready", () => readyz(running), down);
      const res = await fetch(`${running.httpUrl}/readyz`);
      assert.equal(res.headers.get("content-type"), "application/json");
    });
    await waitForValue("ready again", () => readyz(running), ready);
  });

  it("gRPC health says SERVING only while /readyz says ready", async () => {
    const running = await startWithGroupOfOne();
    const port = running.gateway.grpcPort;
    const stream = "tributary.v1.StreamService";
    await waitForValue("SERVING", () => checkHealth(port), "SERVING");
    assert.equal(await checkHealth(port, stream), "SERVING");

    await restartUpstreamAfter(async () => {
      await waitForValue("NOT_SERVING", () => checkHealth(port), "NOT_SERVING");
      assert.equal((await readyz(running)).status, 503);
      assert.equal(await checkHealth(port, stream), "NOT_SERVING");
    });
    await waitForValue("SERVING again", () => checkHealth(port), "SERVING");
  });

  it("gRPC health is NOT_SERVING before the source first connects", async () => {
    // An upstream that is not there yet: nothing listens on its port.
    await upstream.start();
    const url = upstream.url;
    await upstream.stop();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url,
          reconnect: FAST_RECONNECT,
          codec: { format: "text", topic: "chat.lobby" },
        },
      ],
    });
    const port = gw.gateway.grpcPort;
    assert.equal(await checkHealth(port), "NOT_SERVING");
    assert.equal((await readyz(gw)).status, 503);
  });
});

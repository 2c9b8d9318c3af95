import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestClient } from "../support/client.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { sample, waitFor } from "./helpers.js";

async function scrape(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  return res.text();
}

describe("/metrics of a running gateway after known traffic", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  const clients: TestClient[] = [];

  before(async () => {
    await upstream.start();
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
    await waitFor("the source to connect", () => upstream.clients.size === 1);
  });

  after(async () => {
    for (const client of clients) await client.close();
    await gw.stop();
    await upstream.stop();
  });

  it("counts frames, deliveries and clients as sent and received", async () => {
    for (let i = 0; i < 2; i++) {
      const client = await TestClient.connect(gw.wsUrl);
      await client.subscribe(["prices.>"]);
      clients.push(client);
    }
    // A third client that subscribes to nothing that flows.
    const idle = await TestClient.connect(gw.wsUrl);
    await idle.subscribe(["news.>"]);
    clients.push(idle);

    const sent = 7;
    for (let n = 1; n <= sent; n++) upstream.send({ a: "prices", b: `s${n}` });
    upstream.send("not json at all");
    await waitFor("every message at both clients", () =>
      clients.slice(0, 2).every((c) => c.messages().length === sent),
    );
    const received = clients.reduce((n, c) => n + c.messages().length, 0);
    assert.equal(received, 2 * sent);

    const text = await scrape(gw);
    const feed = { tributary_source_id: "feed" };
    const ws = { tributary_transport: "websocket" };
    assert.equal(sample(text, "tributary_source_frames_total", feed), sent + 1);
    assert.equal(sample(text, "tributary_source_messages_total", feed), sent);
    assert.equal(sample(text, "tributary_source_failures_total", feed), 1);
    assert.equal(
      sample(text, "tributary_source_state", {
        ...feed,
        tributary_source_state: "up",
      }),
      1,
    );
    assert.equal(
      sample(text, "tributary_messages_delivered_total", ws),
      received,
    );
    assert.equal(sample(text, "tributary_client_sessions", ws), 3);
    assert.equal(
      sample(text, "tributary_messages_dropped_total", {
        tributary_reason: "slow-consumer",
      }) ?? 0,
      0,
    );
  });

  it("keeps delivered totals and drops the session when a client leaves", async () => {
    const before = await scrape(gw);
    const ws = { tributary_transport: "websocket" };
    const delivered = sample(before, "tributary_messages_delivered_total", ws);
    await clients.shift()?.close();
    await waitFor(
      "the gateway to see the close",
      () => gw.gateway.ws.sessions.size === 2,
    );

    const text = await scrape(gw);
    assert.equal(sample(text, "tributary_client_sessions", ws), 2);
    assert.equal(
      sample(text, "tributary_messages_delivered_total", ws),
      delivered,
    );
  });
});

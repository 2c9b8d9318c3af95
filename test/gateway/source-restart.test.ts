import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { TestClient } from "../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

describe("an upstream restarted mid-stream", () => {
  let upstream = new TestUpstream();
  let gw: RunningGateway | undefined;

  afterEach(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  it("reconnects, re-subscribes and its messages flow again", async () => {
    await upstream.start();
    const port = upstream.port;
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          subscribe: [{ op: "subscribe", channel: "prices" }],
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "prices.{/s}", data: "/" },
        },
      ],
    });
    await waitFor("the subscribe frame", () => upstream.received.length === 1);
    const client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["prices.>"]);

    upstream.send({ s: "A", n: 1 });
    await waitFor("the first message", () => client.messages().length === 1);

    await upstream.stop();
    await waitFor("the source to notice", () => {
      const health =
        gw?.gateway.topology.sources.get("feed")?.connection?.currentHealth;
      return health?.state !== "up";
    });
    upstream = new TestUpstream();
    await upstream.start(port);
    await waitFor(
      "the resent subscribe frame",
      () => upstream.received.length === 1,
    );
    assert.deepEqual(JSON.parse(upstream.received[0] ?? ""), {
      op: "subscribe",
      channel: "prices",
    });

    upstream.send({ s: "A", n: 2 });
    await waitFor(
      "the message after the restart",
      () => client.messages().length === 2,
    );
    const seqs = client.messages().map((m) => m.seq);
    assert.deepEqual(seqs, [1, 2]);
    assert.equal(client.closed, undefined, "the client never noticed");
    await client.close();
  });
});

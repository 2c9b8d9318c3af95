import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestClient } from "../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

const PUBLISHED = [
  "trades.BTC",
  "trades.ETH",
  "trades.BTC.spot",
  "book.BTC",
  "book.BTC.l2",
  "news.ETH",
];

const SUBSCRIPTIONS: Record<string, { patterns: string[]; gets: string[] }> = {
  oneToken: { patterns: ["trades.*"], gets: ["trades.BTC", "trades.ETH"] },
  tail: {
    patterns: ["trades.>"],
    gets: ["trades.BTC", "trades.BTC.spot", "trades.ETH"],
  },
  firstToken: { patterns: ["*.BTC"], gets: ["book.BTC", "trades.BTC"] },
  bookTail: { patterns: ["book.>"], gets: ["book.BTC", "book.BTC.l2"] },
  overlapping: {
    patterns: ["trades.BTC", "trades.*", "*.BTC"],
    gets: ["book.BTC", "trades.BTC", "trades.ETH"],
  },
  middle: { patterns: ["*.*.spot"], gets: ["trades.BTC.spot"] },
  nothing: { patterns: ["quotes.>"], gets: [] },
};

function isMarker(message: Record<string, unknown>): boolean {
  return String(message.topic).startsWith("zz.");
}

describe("wildcard routing", () => {
  const twoTokens = new TestUpstream();
  const threeTokens = new TestUpstream();
  let gw: RunningGateway;

  before(async () => {
    await twoTokens.start();
    await threeTokens.start();
    const source = (id: string, url: string, topic: string) => ({
      id,
      url,
      reconnect: FAST_RECONNECT,
      codec: { format: "json", topic, data: "/" },
    });
    gw = await startGateway({
      sources: [
        source("two", twoTokens.url, "{/a}.{/b}"),
        source("three", threeTokens.url, "{/a}.{/b}.{/c}"),
      ],
    });
    await waitFor(
      "both sources",
      () => twoTokens.clients.size === 1 && threeTokens.clients.size === 1,
    );
  });

  after(async () => {
    await gw.stop();
    await twoTokens.stop();
    await threeTokens.stop();
  });

  it("delivers each topic to exactly the clients whose patterns match", async () => {
    const clients = new Map<string, TestClient>();
    for (const [name, { patterns }] of Object.entries(SUBSCRIPTIONS)) {
      const client = await TestClient.connect(gw.wsUrl);
      await client.subscribe([...patterns, "zz.>"]);
      clients.set(name, client);
    }

    for (const topic of PUBLISHED) {
      const [a, b, c] = topic.split(".");
      const line = c === undefined ? twoTokens : threeTokens;
      line.send({ a, b, c });
    }
    // Both lines end with a marker; a client that has both has everything.
    twoTokens.send({ a: "zz", b: "end" });
    threeTokens.send({ a: "zz", b: "end", c: "3" });
    await waitFor("both end markers at every client", () =>
      [...clients.values()].every(
        (c) => c.messages().filter(isMarker).length === 2,
      ),
    );

    for (const [name, client] of clients) {
      const topics = client
        .messages()
        .map((m) => String(m.topic))
        .filter((t) => !t.startsWith("zz."))
        .sort();
      assert.deepEqual(topics, SUBSCRIPTIONS[name]?.gets, `client ${name}`);
      await client.close();
    }
  });
});

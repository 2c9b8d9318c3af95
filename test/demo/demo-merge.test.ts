import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startDemo, type Trade } from "../../src/demo/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { TestClient } from "../support/client.js";
import { waitFor } from "../support/wait-for.js";

describe("the demo's merged stream", () => {
  it("has every trade exactly once while alpha skips and beta restarts", async () => {
    const demo = await startDemo({
      port: 0,
      logger: createSilentLogger(),
      tradesPerSecond: 100,
      alphaSkipRate: 0.2,
      // Beta refuses connections for 1 s after each restart; a cycle
      // this long leaves the gateway's backoff room to get back in.
      betaRestartEveryMs: 3000,
    });
    try {
      const { port } = demo.gateway.address;
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      await client.subscribe(["trades.>"]);
      const printed: Trade[] = [];
      demo.tape.onTrade((trade) => printed.push(trade));

      await waitFor("two beta restarts", () => demo.beta.restarts >= 2, 15_000);
      demo.tape.stop();
      const expected = printed.map((t) => t.tradeId);
      await waitFor(
        "every printed trade at the client",
        () => {
          const received = new Set(client.messages().map(tradeIdOf));
          return expected.every((id) => received.has(id));
        },
        20_000,
      );

      const ids = client.messages().map(tradeIdOf);
      assert.equal(new Set(ids).size, ids.length, "no trade twice");
      const skipped = expected.filter((id) => demo.alpha.skipped.has(id));
      assert.ok(skipped.length > 0, "alpha skipped some trades");
      const sources = new Set(client.messages().map((m) => m.source));
      assert.deepEqual([...sources].sort(), ["alpha", "beta"]);
      await client.close();
    } finally {
      await demo.stop();
    }
  });
});

function tradeIdOf(message: Record<string, unknown>): string {
  return (message.data as { tradeId: string }).tradeId;
}

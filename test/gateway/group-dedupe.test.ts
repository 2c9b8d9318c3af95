import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type Frame, TestClient } from "../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

const CODEC = {
  format: "json",
  topic: "ticks.{/sym}",
  id: "/id",
  seq: "/seq",
  data: { sym: "/sym", seq: "/seq" },
};

/** Message i is missing from line A when i % 5 === 1, from B when 3. */
const COUNT = 60;
const missingFromA = (i: number) => i % 5 === 1;
const missingFromB = (i: number) => i % 5 === 3;

function payloadSeq(message: Frame): number {
  return (message.data as { seq: number }).seq;
}

describe("a two-source active-active group", () => {
  const lineA = new TestUpstream();
  const lineB = new TestUpstream();
  let gw: RunningGateway | undefined;

  beforeEach(async () => {
    await lineA.start();
    await lineB.start();
  });

  afterEach(async () => {
    await gw?.stop();
    await lineA.stop();
    await lineB.stop();
  });

  async function startPair(dedupe: Record<string, unknown>) {
    gw = await startGateway({
      sources: [
        { id: "a", url: lineA.url, reconnect: FAST_RECONNECT, codec: CODEC },
        { id: "b", url: lineB.url, reconnect: FAST_RECONNECT, codec: CODEC },
      ],
      groups: [{ id: "ticks", sources: ["a", "b"], dedupe }],
    });
    await waitFor(
      "both lines to connect",
      () => lineA.clients.size === 1 && lineB.clients.size === 1,
    );
    return gw;
  }

  /**
   * Sends message i on each line that carries it, B before A for odd i so
   * that neither line always wins, and waits until every client has it.
   */
  async function sendAll(clients: TestClient[]) {
    for (let i = 1; i <= COUNT; i++) {
      const frame = { sym: "X", id: `m${i}`, seq: i };
      const lines = i % 2 === 0 ? [lineA, lineB] : [lineB, lineA];
      for (const line of lines) {
        const skip = line === lineA ? missingFromA(i) : missingFromB(i);
        if (!skip) line.send(frame);
      }
      await waitFor(`message ${i} at every client`, () =>
        clients.every((c) => c.messages().some((m) => payloadSeq(m) === i)),
      );
    }
  }

  for (const by of ["id", "seq"] as const) {
    it(`delivers every message exactly once, in order (dedupe by ${by})`, async () => {
      const running = await startPair({ by });
      const clients = [
        await TestClient.connect(running.wsUrl),
        await TestClient.connect(running.wsUrl),
      ];
      await clients[0]?.subscribe(["ticks.X"]);
      await clients[1]?.subscribe(["ticks.*"]);

      await sendAll(clients);
      // A trailing marker on one line proves nothing else is in flight.
      lineA.send({ sym: "X", id: "end", seq: COUNT + 1 });
      await waitFor("the end marker", () =>
        clients.every((c) => c.messages().length === COUNT + 1),
      );

      const expected = Array.from({ length: COUNT + 1 }, (_, i) => i + 1);
      for (const client of clients) {
        const messages = client.messages();
        assert.deepEqual(
          messages.map((m) => payloadSeq(m)),
          expected,
        );
        assert.deepEqual(
          messages.map((m) => m.seq),
          expected,
        );
        const sources = new Set(messages.map((m) => m.source));
        assert.deepEqual([...sources].sort(), ["a", "b"]);
        await client.close();
      }
    });
  }

  it("passes duplicates through with dedupe none", async () => {
    const running = await startPair({ by: "none" });
    const client = await TestClient.connect(running.wsUrl);
    await client.subscribe(["ticks.X"]);

    lineA.send({ sym: "X", id: "m1", seq: 1 });
    lineB.send({ sym: "X", id: "m1", seq: 1 });

    await waitFor("both copies", () => client.messages().length === 2);
    await client.close();
  });
});

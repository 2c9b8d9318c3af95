import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { afterEach, describe, it } from "node:test";
import { parseConfig } from "../../../src/config/index.js";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";

/** Bytes the client's TCP socket has read so far. */
function bytesRead(client: TestClient): number {
  return (client.socket as unknown as { _socket: Socket })._socket.bytesRead;
}

describe("permessage-deflate for clients", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await gw?.stop();
    gw = undefined;
    await upstream.stop();
  });

  async function setUp(limits: Record<string, unknown>) {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "z.t", data: "/" },
        },
      ],
      limits,
    });
    await waitFor("the source", () => upstream.clients.size === 1);
    // ws clients offer permessage-deflate unless told not to.
    const client = await TestClient.connect(gw.wsUrl);
    clients.push(client);
    await client.subscribe(["z.t"]);
    return client;
  }

  /** Sends 20 large, very compressible messages; waits for all. */
  async function feed(client: TestClient): Promise<number> {
    const before = bytesRead(client);
    const filler = "a".repeat(2000);
    for (let n = 1; n <= 20; n++) upstream.send({ n, filler });
    await waitFor("20 messages", () => client.messages().length === 20);
    assert.deepEqual(
      client.messages().map((m) => (m.data as { n: number }).n),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    return bytesRead(client) - before;
  }

  it("is off by default: the offer is declined and frames go plain", async () => {
    const client = await setUp({});
    assert.equal(client.socket.extensions, "");
    assert.ok((await feed(client)) > 40_000);
  });

  it("compresses when configured, and delivers the same messages", async () => {
    const client = await setUp({ perMessageDeflate: { threshold: 0 } });
    assert.match(client.socket.extensions, /permessage-deflate/);
    const read = await feed(client);
    assert.ok(read < 10_000, `${read} bytes for 40 KB of payload`);
  });

  it("refuses settings out of bounds, naming the field", () => {
    assert.throws(
      () => parseConfig({ limits: { perMessageDeflate: { level: 12 } } }),
      /limits\.perMessageDeflate\.level/,
    );
    assert.throws(
      () => parseConfig({ limits: { perMessageDeflate: true } }),
      /limits\.perMessageDeflate/,
    );
  });
});

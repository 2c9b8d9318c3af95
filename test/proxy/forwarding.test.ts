import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, describe, it } from "node:test";
import type { PoolInput } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import { EchoBackend, ProxyHarness, TestClient } from "./helpers.js";

describe("forwarding through the proxy", () => {
  let backend: EchoBackend;
  let proxy: ProxyHarness | undefined;
  let client: TestClient | undefined;

  afterEach(async () => {
    client?.close();
    await proxy?.stop();
    proxy = undefined;
    await backend.stop();
  });

  async function connect(pool: Partial<PoolInput> = {}): Promise<TestClient> {
    backend = await new EchoBackend("b1").start();
    proxy = await new ProxyHarness([
      {
        id: "pool",
        path: "/pool",
        backends: [{ id: "b1", url: backend.url }],
        ...pool,
      },
    ]).start();
    client = await new TestClient(proxy.url("/pool")).opened();
    return client;
  }

  it("keeps text as text and binary as binary, both ways", async () => {
    const c = await connect();

    c.ws.send("héllo");
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    await waitFor("both echoes", () => c.messages.length === 2);

    const seen = backend.sessions[0]?.messages ?? [];
    assert.deepEqual(
      seen.map((m) => [m.text, m.binary]),
      [
        ["héllo", false],
        [Buffer.from([0, 1, 2, 255]).toString(), true],
      ],
    );
    assert.deepEqual(
      c.messages.map((m) => [m.bytes, m.binary]),
      [
        [6, false],
        [4, true],
      ],
    );
  });

  it("passes a large message intact", async () => {
    const c = await connect();
    const big = randomBytes(4 * 1024 * 1024);
    const whole: Buffer[] = [];
    c.ws.on("message", (data: Buffer) => whole.push(data));

    c.ws.send(big);

    await waitFor("the echo", () => whole.length === 1, 10_000);
    assert.ok(whole[0]?.equals(big), "the echo differs");
  });

  it("joins a fragmented message into one", async () => {
    const c = await connect();

    c.ws.send("part one, ", { fin: false });
    c.ws.send("part two", { fin: true });

    await waitFor("the echo", () => c.messages.length === 1);
    assert.equal(backend.sessions[0]?.messages[0]?.text, "part one, part two");
    assert.equal(c.messages[0]?.text, "part one, part two");
  });

  it("forwards pings and pongs both ways", async () => {
    const c = await connect();
    const backendPings: string[] = [];
    const clientPongs: string[] = [];
    const backendPongs: string[] = [];
    const session = backend.sessions[0];
    session?.ws.on("ping", (d: Buffer) => backendPings.push(d.toString()));
    session?.ws.on("pong", (d: Buffer) => backendPongs.push(d.toString()));
    c.ws.on("pong", (d: Buffer) => clientPongs.push(d.toString()));

    c.ws.ping("from client");
    session?.ws.ping("from backend");

    await waitFor("the client's pong", () => clientPongs.length === 1);
    await waitFor("the backend's pong", () => backendPongs.length === 1);
    assert.deepEqual(backendPings, ["from client"]);
    assert.deepEqual(clientPongs, ["from client"]);
    assert.deepEqual(backendPongs, ["from backend"]);
  });

  it("passes the client's close code and reason to the backend", async () => {
    const c = await connect();

    c.ws.close(4001, "client says bye");

    await waitFor("the backend close", () => backend.open.length === 0);
    assert.deepEqual(backend.sessions[0]?.closed, {
      code: 4001,
      reason: "client says bye",
    });
  });

  it("passes a close without a code on as one", async () => {
    const c = await connect();

    c.ws.close();

    await waitFor("the backend close", () => backend.open.length === 0);
    assert.equal(backend.sessions[0]?.closed?.code, 1005);
  });

  it("passes the backend's close code and reason to the client", async () => {
    const c = await connect();

    backend.sessions[0]?.ws.close(4002, "backend says bye");

    await waitFor("the client close", () => c.closed !== undefined);
    assert.deepEqual(c.closed, { code: 4002, reason: "backend says bye" });
    await waitFor("the session to end", () => {
      return proxy?.gateway.listSessions().length === 0;
    });
  });

  it("without failover, closes 1014 when the backend drops", async () => {
    const c = await connect({ failover: { enabled: false } });

    await backend.kill();

    await waitFor("the client close", () => c.closed !== undefined);
    assert.equal(c.closed?.code, 1014);
    assert.match(c.closed?.reason ?? "", /backend b1 closed \(1006\)/);
  });

  it("without failover, closes 1012 when the backend goes away", async () => {
    const c = await connect({ failover: { enabled: false } });

    backend.sessions[0]?.ws.close(1001, "restarting");

    await waitFor("the client close", () => c.closed !== undefined);
    assert.equal(c.closed?.code, 1012);
    const pool = proxy?.gateway.listPools()[0];
    assert.equal(pool?.backends[0]?.openSessions, 0);
  });

  it("counts the bytes forwarded each way", async () => {
    const c = await connect();

    c.ws.send("12345");
    await waitFor("the echo", () => c.messages.length === 1);

    const [b1] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b1?.bytesToBackend, 5);
    assert.equal(b1?.bytesToClients, 5);
    assert.equal(b1?.openSessions, 1);
  });
});

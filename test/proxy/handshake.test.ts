import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, it } from "node:test";
import type { PoolInput } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import {
  EchoBackend,
  ProxyHarness,
  Refused,
  SilentServer,
  TestClient,
} from "./helpers.js";

/** The URL of a port nobody listens on (any more). */
async function deadUrl(): Promise<string> {
  const backend = await new EchoBackend("dead").start();
  await backend.stop();
  return backend.url;
}

async function refusal(client: TestClient): Promise<Refused> {
  const error = await client.opened().then(
    () => assert.fail("the upgrade was accepted"),
    (err: unknown) => err,
  );
  assert.ok(error instanceof Refused, `not an HTTP refusal: ${error}`);
  return error;
}

describe("the proxy handshake", () => {
  let proxy: ProxyHarness | undefined;
  const stoppers: (() => Promise<void>)[] = [];
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(stoppers.splice(0).map((stop) => stop()));
  });

  async function start(pool: Partial<PoolInput>): Promise<string> {
    proxy = await new ProxyHarness([
      { id: "pool", path: "/pool", ...pool },
    ]).start();
    return proxy.url("/pool");
  }

  async function echo(id: string, protocols: string[] = []) {
    const backend = await new EchoBackend(id, protocols).start();
    stoppers.push(() => backend.stop());
    return backend;
  }

  function client(url: string, protocols: string[] = [], headers = {}) {
    const c = new TestClient(url, protocols, headers);
    clients.push(c);
    return c;
  }

  it("answers 503 when no backend is healthy", async () => {
    const backend = await echo("b1");
    const url = await start({
      backends: [{ id: "b1", url: backend.url }],
      healthCheck: {
        type: "websocket",
        intervalMs: 50,
        timeoutMs: 50,
        unhealthyThreshold: 1,
      },
    });
    await backend.stop();
    await waitFor(
      "b1 to be unhealthy",
      () => proxy?.gateway.listPools()[0]?.backends[0]?.health === "unhealthy",
    );

    const refused = await refusal(client(url));

    assert.equal(refused.status, 503);
    assert.match(refused.body, /pool pool: no healthy backend/);
  });

  it("answers 503 for a pool without backends", async () => {
    const url = await start({ backends: [] });

    assert.equal((await refusal(client(url))).status, 503);
  });

  it("answers 502 naming each failure when every backend refuses", async () => {
    const [one, two] = [await deadUrl(), await deadUrl()];
    const url = await start({
      backends: [
        { id: "b1", url: one },
        { id: "b2", url: two },
      ],
    });

    const refused = await refusal(client(url));

    assert.equal(refused.status, 502);
    assert.match(refused.body, /b1: .*ECONNREFUSED.*; b2: .*ECONNREFUSED/);
    const [b1] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b1?.connectFailures, 1);
  });

  it("ejects a backend after consecutive failed connects", async () => {
    const url = await start({
      backends: [{ id: "b1", url: await deadUrl() }],
      passive: { failures: 2, ejectMs: 60_000 },
    });

    assert.equal((await refusal(client(url))).status, 502);
    assert.equal((await refusal(client(url))).status, 502);
    const after = await refusal(client(url));

    assert.equal(after.status, 503);
    const [b1] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b1?.health, "ejected");
    assert.equal(b1?.connectFailures, 2);
  });

  it("skips a backend that never answers after connectTimeoutMs", async () => {
    const silent = await new SilentServer().start();
    stoppers.push(() => silent.stop());
    const backend = await echo("b2");
    const url = await start({
      backends: [
        { id: "silent", url: silent.url },
        { id: "b2", url: backend.url },
      ],
      connectTimeoutMs: 300,
    });

    const startedAt = Date.now();
    const c = await client(url).opened();
    const waited = Date.now() - startedAt;

    assert.ok(waited >= 290 && waited < 2000, `took ${waited} ms`);
    assert.equal(backend.sessions.length, 1);
    const [first] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.match(first?.lastError ?? "", /no handshake within 300 ms/);
    await waitFor("the silent connection to be dropped", () => {
      return silent.connections === 0;
    });
    c.ws.send("still works");
    await waitFor("the echo", () => c.messages.length === 1);
  });

  it("drops the backend attempt when the client leaves first", async () => {
    const silent = await new SilentServer().start();
    stoppers.push(() => silent.stop());
    const url = await start({
      backends: [{ id: "silent", url: silent.url }],
      connectTimeoutMs: 10_000,
    });
    const c = client(url);
    await waitFor("the proxy to dial", () => silent.connections === 1);

    c.ws.terminate();

    await waitFor("the dial to be aborted", () => silent.connections === 0);
    const [b] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b?.connectFailures, 0);
  });

  it("offers the client's subprotocols and takes the backend's choice", async () => {
    const backend = await echo("b1", ["chat.v2", "chat.v1"]);
    const url = await start({ backends: [{ id: "b1", url: backend.url }] });

    const chosen = await client(url, ["chat.v1", "chat.v2"]).opened();
    const plain = await client(url).opened();
    const none = await refusal(client(url, ["other"]));

    assert.equal(chosen.ws.protocol, "chat.v1");
    assert.equal(backend.sessions[0]?.ws.protocol, "chat.v1");
    assert.equal(plain.ws.protocol, "");
    assert.equal(none.status, 400);
    assert.match(none.body, /subprotocol/);
    const [b1] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b1?.connectFailures, 0, "the client's fault ejects nobody");
  });

  it("passes a backend's 4xx refusal on without trying another", async () => {
    const [b1, b2] = [await echo("b1"), await echo("b2")];
    b1.refuseWith = 401;
    b2.refuseWith = 401;
    const url = await start({
      backends: [
        { id: "b1", url: b1.url },
        { id: "b2", url: b2.url },
      ],
    });

    const refused = await refusal(client(url));

    assert.equal(refused.status, 401);
    assert.match(refused.body, /backend answered HTTP 401/);
    assert.equal(b1.attempts + b2.attempts, 1);
  });

  it("forwards the configured headers and X-Forwarded-*", async () => {
    const backend = await echo("b1");
    const url = await start({ backends: [{ id: "b1", url: backend.url }] });

    await client(url, [], {
      Authorization: "Bearer t0ken",
      Cookie: "sid=42",
      "X-Secret": "keep me",
      "X-Forwarded-For": "10.0.0.1",
    }).opened();

    const headers = backend.sessions[0]?.headers ?? {};
    assert.equal(headers.authorization, "Bearer t0ken");
    assert.equal(headers.cookie, "sid=42");
    assert.equal(headers["x-secret"], undefined);
    assert.equal(headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert.equal(headers["x-forwarded-proto"], "http");
  });

  it("answers 400 to a malformed handshake without dialling", async () => {
    const backend = await echo("b1");
    const url = new URL(
      await start({ backends: [{ id: "b1", url: backend.url }] }),
    );
    const socket: Socket = connect(Number(url.port), "127.0.0.1");
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString();
    });

    socket.write(
      "GET /pool HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" +
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );

    await waitFor("a reply", () => reply.includes("\r\n\r\n"));
    socket.destroy();
    assert.match(reply, /^HTTP\/1.1 400 /);
    assert.match(reply, /Sec-WebSocket-Key/);
    assert.equal(backend.sessions.length, 0);
  });

  it("leaves paths of no pool to the next handler", async () => {
    await start({ backends: [] });
    const req = { url: "/ws?x=1", headers: {} } as IncomingMessage;

    const socket = new PassThrough();

    const taken = proxy?.gateway.handleUpgrade(req, socket, Buffer.alloc(0));

    assert.equal(taken, false);
  });
});

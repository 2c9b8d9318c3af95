import assert from "node:assert/strict";
import {
  type AddressInfo,
  createServer,
  connect as dial,
  type Server,
  type Socket,
} from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import { WebSocket } from "ws";
import { FaultProxy } from "../support/fault-proxy.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

/** A TCP server that records what each connection sent, and may echo. */
class RecordingServer {
  readonly sockets: Socket[] = [];
  readonly received: Buffer[] = [];
  readonly errors: string[] = [];
  ended = 0;
  #server: Server | undefined;

  async start(echo: boolean): Promise<this> {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.push(socket);
      socket.on("data", (chunk: Buffer) => {
        this.received.push(chunk);
        if (echo) socket.write(chunk);
      });
      socket.on("end", () => {
        this.ended += 1;
      });
      socket.on("error", (err: NodeJS.ErrnoException) => {
        this.errors.push(err.code ?? err.message);
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve()),
    );
    this.#server = server;
    return this;
  }

  get port(): number {
    if (this.#server === undefined) throw new Error("not started");
    return (this.#server.address() as AddressInfo).port;
  }

  get bytes(): number {
    return this.received.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** A client socket of the proxy that keeps what it read and how it ended. */
interface Peer {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  readonly events: string[];
}

async function connectPeer(port: number): Promise<Peer> {
  const socket = dial({ host: "127.0.0.1", port, allowHalfOpen: true });
  const peer: Peer = { socket, chunks: [], events: [] };
  socket.on("data", (chunk: Buffer) => peer.chunks.push(chunk));
  socket.on("end", () => peer.events.push("end"));
  socket.on("close", () => peer.events.push("close"));
  socket.on("error", (err: NodeJS.ErrnoException) =>
    peer.events.push(err.code ?? err.message),
  );
  // A refused connection may be reset before "connect" is reported.
  await new Promise<void>((resolve) => {
    socket.once("connect", resolve);
    socket.once("close", resolve);
  });
  return peer;
}

const bytesOf = (peer: Peer) => Buffer.concat(peer.chunks);

describe("FaultProxy", () => {
  let server: RecordingServer;
  let proxy: FaultProxy;
  const peers: Peer[] = [];

  beforeEach(async () => {
    server = await new RecordingServer().start(true);
    proxy = await new FaultProxy({ port: server.port }).start();
  });

  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.socket.destroy();
    await proxy.stop();
    await server.stop();
  });

  async function peer(): Promise<Peer> {
    const connected = await connectPeer(proxy.port);
    peers.push(connected);
    return connected;
  }

  it("forwards bytes both ways unchanged", async () => {
    const client = await peer();
    const payload = Buffer.alloc(512 * 1024, 0);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 251;

    client.socket.write(payload);

    await waitFor("the echo", () => bytesOf(client).length === payload.length);
    assert.ok(bytesOf(client).equals(payload));
    assert.equal(proxy.counts.toTarget.forwarded, payload.length);
    assert.equal(proxy.counts.toClient.forwarded, payload.length);
  });

  it("adds latency per direction", async () => {
    const client = await peer();
    proxy.set("toTarget", { latencyMs: 150 });

    const sentAt = Date.now();
    client.socket.write("ping");
    await waitFor("the echo", () => bytesOf(client).length === 4);

    const tookMs = Date.now() - sentAt;
    assert.ok(tookMs >= 145, `round trip ${tookMs} ms`);
    assert.ok(tookMs < 1000, `round trip ${tookMs} ms`);
    assert.equal(proxy.faults.toClient.latencyMs, 0);
  });

  it("caps bandwidth at the set rate", async () => {
    const client = await peer();
    proxy.set("toClient", { bytesPerSecond: 40_000 });

    const sentAt = Date.now();
    client.socket.write(Buffer.alloc(20_000, 1));
    await waitFor("the echo", () => bytesOf(client).length === 20_000);

    // 20 kB at 40 kB/s is 500 ms; the first slice leaves at once.
    const tookMs = Date.now() - sentAt;
    assert.ok(tookMs >= 450, `took ${tookMs} ms`);
    assert.ok(tookMs < 2000, `took ${tookMs} ms`);
  });

  it("refuses bad fault values", () => {
    assert.throws(() => proxy.set("both", { latencyMs: -1 }), RangeError);
    assert.throws(
      () => proxy.set("toClient", { bytesPerSecond: Number.NaN }),
      /bytesPerSecond must be a number >= 0/,
    );
    assert.equal(proxy.faults.toClient.bytesPerSecond, 0);
  });

  it("blackholes both ways while the sockets stay open", async () => {
    const client = await peer();
    client.socket.write("before");
    await waitFor("the first echo", () => bytesOf(client).length === 6);
    proxy.blackhole();

    client.socket.write("lost");
    server.sockets[0]?.write("also lost");
    await waitFor(
      "bytes dropped both ways",
      () =>
        proxy.counts.toTarget.dropped === 4 &&
        proxy.counts.toClient.dropped === 9,
    );

    assert.equal(bytesOf(client).toString(), "before");
    assert.equal(Buffer.concat(server.received).toString(), "before");
    assert.deepEqual(client.events, []);
    assert.equal(proxy.connections, 1);
  });

  it("resets every connection with an RST on both sides", async () => {
    const client = await peer();
    client.socket.write("x");
    await waitFor("the echo", () => bytesOf(client).length === 1);

    assert.equal(proxy.reset(), 1);

    await waitFor(
      "both sides to see the reset",
      () =>
        client.events.includes("ECONNRESET") &&
        server.errors.includes("ECONNRESET"),
    );
    assert.equal(proxy.connections, 0);
  });

  it("resets new connections while refusing, and accepts them again", async () => {
    proxy.refuse = true;
    const refused = await peer();
    await waitFor("the refusal", () => refused.events.includes("close"));
    assert.equal(server.sockets.length, 0);

    proxy.refuse = false;
    const client = await peer();
    client.socket.write("back");
    await waitFor("the echo", () => bytesOf(client).toString() === "back");
  });

  it("half-closes one direction after a delay", async () => {
    const client = await peer();
    client.socket.write("a");
    await waitFor("the echo", () => bytesOf(client).length === 1);

    const askedAt = Date.now();
    proxy.slowClose(200, "toClient");
    await waitFor("the FIN at the client", () => client.events.includes("end"));
    const tookMs = Date.now() - askedAt;
    client.socket.write("still flows");

    assert.ok(tookMs >= 190, `FIN after ${tookMs} ms`);
    await waitFor(
      "bytes after the half-close at the server",
      () => Buffer.concat(server.received).toString() === "astill flows",
    );
    assert.equal(bytesOf(client).toString(), "a");
    assert.equal(server.ended, 0, "the server's side was not closed");
  });

  it("resets the client when the target refuses", async () => {
    const port = server.port;
    await server.stop();
    const orphan = await new FaultProxy({ port }).start();
    try {
      const client = await connectPeer(orphan.port);
      peers.push(client);
      await waitFor("the reset", () => client.events.includes("close"));
      assert.ok(client.events.includes("ECONNRESET"), String(client.events));
    } finally {
      await orphan.stop();
    }
    server = await new RecordingServer().start(true);
  });

  it("closes every connection on stop", async () => {
    const client = await peer();
    await proxy.stop();
    // The peer is half-open: it sees the FIN, and closes its own side.
    await waitFor("the FIN", () => client.events.includes("end"));
    assert.throws(() => proxy.port, /not started/);
    proxy = await new FaultProxy({ port: server.port }).start();
  });
});

describe("FaultProxy in front of a WebSocket upstream", () => {
  const upstream = new TestUpstream();
  let proxy: FaultProxy;
  let socket: WebSocket | undefined;

  beforeEach(async () => {
    await upstream.start();
    proxy = await new FaultProxy({ port: upstream.port }).start();
  });

  afterEach(async () => {
    socket?.terminate();
    await proxy.stop();
    await upstream.stop();
  });

  it("leaves pings unanswered under a blackhole", async () => {
    socket = new WebSocket(proxy.url());
    const ws = socket;
    const got: string[] = [];
    let pongs = 0;
    ws.on("message", (data) => got.push(data.toString()));
    ws.on("pong", () => pongs++);
    await new Promise((resolve) => ws.once("open", resolve));
    await waitFor("the upstream side", () => upstream.clients.size === 1);
    ws.ping();
    await waitFor("a pong before the blackhole", () => pongs === 1);

    proxy.blackhole();
    const before = proxy.counts.toClient.dropped;
    ws.ping();
    upstream.send({ n: 1 });
    await waitFor(
      "the ping and the message to be swallowed",
      () =>
        proxy.counts.toTarget.dropped > 0 &&
        proxy.counts.toClient.dropped > before,
    );

    assert.equal(pongs, 1);
    assert.deepEqual(got, []);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(upstream.clients.size, 1);
  });
});

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { PoolInput } from "../../src/proxy/index.js";
import { ProxyGateway, poolSchema } from "../../src/proxy/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";

/** One message as a peer received it. */
export interface Received {
  readonly text: string;
  readonly binary: boolean;
  readonly bytes: number;
}

function received(data: RawData, binary: boolean): Received {
  const buffer = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data);
  return { text: buffer.toString(), binary, bytes: buffer.length };
}

/** A connection as an {@link EchoBackend} saw it. */
export interface BackendSession {
  readonly ws: WebSocket;
  readonly headers: IncomingMessage["headers"];
  readonly messages: Received[];
  closed?: { code: number; reason: string };
}

/**
 * A backend `ws` server on port 0 that echoes every message with its
 * kind and records what each connection sent. `protocols` lists the
 * subprotocols it accepts (first offered match wins).
 */
export class EchoBackend {
  readonly sessions: BackendSession[] = [];
  #wss: WebSocketServer | undefined;
  #server: Server | undefined;
  #port = 0;
  echo = true;
  /** When set, handshakes are refused with this HTTP status. */
  refuseWith: number | undefined;
  /** Handshakes attempted, accepted or not. */
  attempts = 0;

  constructor(
    readonly id: string,
    readonly protocols: string[] = [],
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.#port}/backend`;
  }

  /** Sessions still open. */
  get open(): BackendSession[] {
    return this.sessions.filter((s) => s.closed === undefined);
  }

  /**
   * Listens on `port` (0 for any). Plain HTTP requests get 200 on
   * `/health` and 404 elsewhere, for http health checks.
   */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/health" ? 200 : 404).end();
    });
    const wss = new WebSocketServer({
      server,
      handleProtocols: (offered) =>
        [...offered].find((p) => this.protocols.includes(p)) ?? false,
      verifyClient: (_info, accept) => {
        this.attempts += 1;
        if (this.refuseWith === undefined) accept(true);
        else accept(false, this.refuseWith, "refused by the test");
      },
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    this.#port = (server.address() as AddressInfo).port;
    wss.on("connection", (ws, req) => this.#accept(ws, req));
    this.#wss = wss;
    this.#server = server;
    return this;
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const session: BackendSession = { ws, headers: req.headers, messages: [] };
    this.sessions.push(session);
    ws.on("message", (data, binary) => {
      session.messages.push(received(data, binary));
      if (this.echo) ws.send(data, { binary });
    });
    ws.on("close", (code, reason) => {
      session.closed = { code, reason: reason.toString() };
    });
  }

  /** Kills the server and drops every connection without a close frame. */
  async kill(): Promise<void> {
    for (const session of this.sessions) session.ws.terminate();
    await this.stop();
  }

  async stop(): Promise<void> {
    const wss = this.#wss;
    const server = this.#server;
    this.#wss = undefined;
    this.#server = undefined;
    if (wss === undefined || server === undefined) return;
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A TCP server that accepts connections and never says a word. */
export class SilentServer {
  readonly #sockets = new Set<Socket>();
  readonly #server = createNetServer((socket) => {
    this.#sockets.add(socket);
    // Read and discard, so a hang-up by the peer is noticed.
    socket.resume();
    socket.on("close", () => this.#sockets.delete(socket));
  });

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A small HTTP server that routes upgrades to a {@link ProxyGateway}. */
export class ProxyHarness {
  readonly gateway: ProxyGateway;
  readonly #server: Server;

  constructor(pools: PoolInput[]) {
    this.gateway = new ProxyGateway({
      pools: pools.map((pool) => poolSchema.parse(pool)),
      logger: createSilentLogger(),
    });
    this.#server = createServer((_req, res) => res.writeHead(404).end());
    this.#server.on("upgrade", (req, socket, head) => {
      if (!this.gateway.handleUpgrade(req, socket, head)) socket.destroy();
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    return this;
  }

  url(path: string): string {
    const { port } = this.#server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}${path}`;
  }

  async stop(): Promise<void> {
    this.gateway.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A real client that records what it receives and how it closed. */
export class TestClient {
  readonly messages: Received[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly ws: WebSocket;

  constructor(url: string, protocols: string[] = [], headers = {}) {
    this.ws = new WebSocket(url, protocols, { headers });
    this.ws.on("message", (data, binary) => {
      this.messages.push(received(data, binary));
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    this.ws.on("error", () => {});
  }

  /** Resolves when open; rejects with the HTTP status when refused. */
  opened(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve(this));
      this.ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => reject(new Refused(res.statusCode ?? 0, body)));
      });
      this.ws.once("error", reject);
    });
  }

  close(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

/** An upgrade the gateway answered with an HTTP error. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.trim()}`);
  }
}

/** Opens `count` clients one after another and returns them open. */
export async function openClients(
  url: string,
  count: number,
  headersOf: (n: number) => Record<string, string> = () => ({}),
): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let n = 0; n < count; n++) {
    clients.push(await new TestClient(url, [], headersOf(n)).opened());
  }
  return clients;
}

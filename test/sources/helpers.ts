import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Server,
  type Socket,
} from "node:net";
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import type { SourceConfig } from "../../src/config/index.js";
import type {
  SourceConnection,
  SourceHealth,
} from "../../src/sources/index.js";
import { waitFor as waitForCondition } from "../support/wait-for.js";

/** The shared poller, with the argument order these tests use. */
export function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 3_000,
): Promise<void> {
  return waitForCondition(what, predicate, timeoutMs);
}

/** A source config with test-friendly timings; `overrides` win. */
export function sourceConfig(
  url: string,
  overrides: Partial<SourceConfig> = {},
): SourceConfig {
  return {
    id: "test-source",
    url,
    headers: {},
    subscribe: [],
    heartbeat: { type: "none" },
    staleAfterMs: 0,
    connectTimeoutMs: 2_000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100, multiplier: 2 },
    codec: { format: "text", topic: "test" },
    ...overrides,
  };
}

/** Every health state a connection went through, in order. */
export function recordHealth(connection: SourceConnection): SourceHealth[] {
  const states: SourceHealth[] = [];
  connection.health.subscribe((health) => states.push(health));
  return states;
}

/** A pino logger whose JSON lines land in `lines`. */
export function captureLogger(): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line !== "") lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { logger: pino({ level: "debug" }, destination), lines };
}

/** One WebSocket the test upstream accepted. */
export interface UpstreamPeer {
  readonly ws: WebSocket;
  /** The raw TCP socket, to write bytes that break the protocol. */
  readonly socket: Socket;
  readonly headers: IncomingHttpHeaders;
  /** Text of every frame the source sent, in order. */
  readonly received: string[];
  /** WebSocket pings the source sent. */
  readonly pings: () => number;
}

/** Options of {@link startUpstream}. */
export interface UpstreamOptions {
  /** Port to listen on; default 0 (any free port). */
  readonly port?: number;
  /** Answer pings; default true. False makes a blackholed link. */
  readonly autoPong?: boolean;
  /** Refuse every upgrade with this HTTP status. */
  readonly rejectStatus?: number;
  /** Called with each accepted WebSocket, before anything else happens. */
  readonly onConnection?: (ws: WebSocket) => void;
}

/** A real ws server on 127.0.0.1 playing the upstream feed. */
export interface Upstream {
  readonly port: number;
  readonly url: string;
  readonly peers: UpstreamPeer[];
  /** Sends to every open peer. */
  broadcast(data: string | Buffer): void;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a test upstream; close it in `afterEach`. */
export async function startUpstream(
  options: UpstreamOptions = {},
): Promise<Upstream> {
  const server = createServer((_request, response) => {
    response.writeHead(426).end();
  });
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: options.autoPong ?? true,
  });
  const sockets = new Set<Socket>();
  const peers: UpstreamPeer[] = [];

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (request, socket: Socket, head) => {
    if (options.rejectStatus !== undefined) {
      const status = options.rejectStatus;
      socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const received: string[] = [];
      let pings = 0;
      ws.on("message", (data) => received.push(String(data)));
      ws.on("ping", () => {
        pings += 1;
      });
      ws.on("error", () => {});
      const { headers } = request;
      peers.push({ ws, socket, headers, received, pings: () => pings });
      options.onConnection?.(ws);
    });
  });

  const port = await listen(server, options.port ?? 0);
  return {
    port,
    url: `ws://127.0.0.1:${port}/feed?token=secret`,
    peers,
    broadcast(data) {
      for (const { ws } of peers) if (ws.readyState === ws.OPEN) ws.send(data);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      wss.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that accepts and never answers: a hung handshake. */
export async function startSilentServer(): Promise<{
  port: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  const port = await listen(server, 0);
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port that was free a moment ago: nothing listens on it. */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server, 0);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listen(server: Server, port: number): Promise<number> {
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

import type { IncomingMessage, Server } from "node:http";
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import {
  type PerMessageDeflateOptions,
  type WebSocket,
  WebSocketServer,
} from "ws";
import type { DeflateConfig } from "../../config/index.js";
import type { Fanout } from "../fanout.js";
import { WsCloseCode } from "./error-codes.js";
import { pickSubprotocol, WS_SUBPROTOCOLS } from "./protocols.js";
import { StallMonitor } from "./stall-watch.js";
import { WriteCoalescer } from "./write-coalescer.js";
import { WsSession, type WsSessionLimits } from "./ws-session.js";

/** Idle time before the kernel starts probing a client connection. */
const KEEPALIVE_MS = 60_000;

/** Takes an upgrade request and returns true, or leaves it: false. */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
) => boolean;

/** The path of the client protocol. */
export const WS_PATH = "/ws";

/** Options of {@link WsGateway}. */
export interface WsGatewayOptions {
  readonly fanout: Fanout;
  readonly limits: WsSessionLimits & {
    readonly maxClientFrameBytes: number;
    /** Frames merged into one socket write per turn; 0 turns merging off. */
    readonly maxFramesPerWrite: number;
    readonly writeWindowMs: number;
    /** Every session is pinged this often; 0 sends no pings. */
    readonly clientPingIntervalMs: number;
    readonly perMessageDeflate: DeflateConfig;
  };
  readonly logger: Logger;
  /** Told of every session that opens or closes, for WatchEvents. */
  readonly onSessionChange?: (change: WsSessionChange) => void;
}

/** A session opening or closing. */
export interface WsSessionChange {
  readonly session: WsSession;
  readonly connected: boolean;
  /** On close: the close code and reason, as `1000 bye`. */
  readonly reason?: string;
}

/**
 * Serves the client WebSocket protocol on `/ws` of an HTTP server that
 * other handlers share. Upgrades on other paths are left to them.
 */
export class WsGateway {
  readonly sessions = new Map<string, WsSession>();
  readonly #wss: WebSocketServer;
  readonly #options: WsGatewayOptions;
  readonly #log: Logger;
  #nextSessionNumber = 1;
  readonly #coalescer: WriteCoalescer | undefined;
  /** Pings every session that was sent something; none without pings. */
  readonly #monitor: StallMonitor | undefined;
  /** Forgets a session whose socket closed; one for every session. */
  readonly #closed = (session: WsSession, code: number, reason: Buffer) => {
    this.sessions.delete(session.id);
    this.#monitor?.remove(session.watch);
    this.#options.onSessionChange?.({
      session,
      connected: false,
      reason: `${code} ${reason.toString()}`.trim(),
    });
  };

  constructor(options: WsGatewayOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: "ws" });
    const maxFrames = options.limits.maxFramesPerWrite;
    const windowMs = options.limits.writeWindowMs;
    this.#coalescer =
      maxFrames > 0 ? new WriteCoalescer(maxFrames, windowMs) : undefined;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxClientFrameBytes,
      perMessageDeflate: deflateOptions(options.limits.perMessageDeflate),
      // `sessions` tracks the clients; ws's own set would add an entry
      // and a close listener per connection for nothing.
      clientTracking: false,
      handleProtocols: (offered) => pickSubprotocol(offered) ?? false,
    });
    const pingMs = options.limits.clientPingIntervalMs;
    this.#monitor = pingMs > 0 ? new StallMonitor(pingMs) : undefined;
  }

  /**
   * Takes an upgrade request if it is for `/ws`; returns false otherwise so
   * that the caller can offer it to another handler.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (pathOf(req) !== WS_PATH) return false;

    const offered = parseOffered(req.headers["sec-websocket-protocol"]);
    if (offered.size > 0 && pickSubprotocol(offered) === undefined) {
      const supported = WS_SUBPROTOCOLS.join(", ");
      rejectUpgrade(socket, 400, `unsupported subprotocol; use ${supported}`);
      return true;
    }
    // Read the peer address now: a callback that used `req` would keep
    // the whole request, headers and all, for as long as the client stays.
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#open(ws, socket, remote);
    });
    return true;
  }

  /** Starts the session of an upgraded socket; tracks it until it closes. */
  #open(ws: WebSocket, socket: Duplex, remote: string): void {
    const id = `ws-${this.#nextSessionNumber++}`;
    // Idle sessions get no pings (see StallWatch); the kernel's keepalive
    // finds a peer that vanished without a FIN, at no cost in user space.
    if (socket instanceof Socket) socket.setKeepAlive(true, KEEPALIVE_MS);
    // A compressing session's frames differ per client and ws queues them
    // behind zlib: it must go through ws.send, not the shared raw frames.
    const compressing = ws.extensions.includes("permessage-deflate");
    const session = new WsSession(id, ws, remote, {
      fanout: this.#options.fanout,
      limits: this.#options.limits,
      logger: this.#log,
      rawSocket: compressing ? undefined : socket,
      coalescer: compressing ? undefined : this.#coalescer,
      onClose: this.#closed,
    });
    this.sessions.set(id, session);
    this.#monitor?.add(session.watch);
    this.#options.onSessionChange?.({ session, connected: true });
    this.#log.info(
      { client: id, remote, protocol: ws.protocol || "(default)" },
      "client connected",
    );
  }

  /**
   * Takes an HTTP server's upgrade requests: `/ws` here, then each of
   * `others` in turn (the dashboard, proxy pools); nobody's path gets 404.
   */
  attach(
    server: Server,
    others: () => readonly UpgradeHandler[] = () => [],
  ): void {
    server.on("upgrade", (req, socket, head) => {
      if (this.handleUpgrade(req, socket, head)) return;
      for (const handler of others()) {
        if (handler(req, socket, head)) return;
      }
      rejectUpgrade(socket, 404, `no WebSocket endpoint at ${pathOf(req)}`);
    });
  }

  /** Closes every session with 1001 and stops accepting new ones. */
  close(): void {
    this.#monitor?.stop();
    for (const session of this.sessions.values()) {
      session.close(WsCloseCode.GOING_AWAY, "gateway shutting down");
    }
    this.#wss.close();
  }
}

/** The config's deflate settings as ws takes them; false for off. */
function deflateOptions(
  config: DeflateConfig,
): PerMessageDeflateOptions | false {
  if (config === false) return false;
  return {
    threshold: config.threshold,
    concurrencyLimit: config.concurrency,
    serverMaxWindowBits: config.maxWindowBits,
    zlibDeflateOptions: { level: config.level, memLevel: config.memLevel },
  };
}

function parseOffered(header: string | undefined): Set<string> {
  if (header === undefined) return new Set();
  return new Set(
    header
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
  );
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? "Not Found" : "Bad Request"}\r\n` +
      "Connection: close\r\nContent-Type: text/plain\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

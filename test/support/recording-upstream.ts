import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/** One frame a client of the upstream sent, as it arrived. */
export interface ReceivedFrame {
  /** The frame's text; binary frames as UTF-8 too. */
  readonly text: string;
  /** Which connection it came on, counted from 1 in accept order. */
  readonly connection: number;
  /** When it arrived, ms since the Unix epoch. */
  readonly at: number;
}

/**
 * Answers a frame the upstream received: `reply` sends a frame (objects
 * as JSON) back on the same connection, as a real feed answers a bad
 * subscribe with an error frame.
 */
export type Responder = (text: string, reply: (frame: unknown) => void) => void;

/**
 * A real upstream feed for tests about what the gateway asks of it: a
 * `ws` server on 127.0.0.1 that records every frame it receives with its
 * connection and arrival time, can answer frames, and can drop the
 * gateway's connection. {@link flush} proves that nothing more is on the
 * way, so a test can assert that a frame was never sent.
 */
export class RecordingUpstream {
  readonly received: ReceivedFrame[] = [];
  /** Connections accepted so far. */
  connections = 0;
  /** Called with every frame received, after it is recorded. */
  responder: Responder | undefined;
  #wss: WebSocketServer | undefined;

  /** Listens on `port` (0 = any free one). */
  async start(port = 0): Promise<this> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    wss.on("connection", (socket) => this.#accept(socket));
    this.#wss = wss;
    return this;
  }

  get url(): string {
    const { port } = this.#server().address() as AddressInfo;
    return `ws://127.0.0.1:${port}/feed`;
  }

  get clients(): ReadonlySet<WebSocket> {
    return this.#server().clients;
  }

  /** The texts received, optionally only those of one connection. */
  texts(connection?: number): string[] {
    return this.received
      .filter((f) => connection === undefined || f.connection === connection)
      .map((f) => f.text);
  }

  /** How many times exactly `frame` (an object as JSON) was received. */
  count(frame: unknown): number {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    return this.received.filter((f) => f.text === text).length;
  }

  /** The first arrival of exactly `frame`, if it came. */
  find(frame: unknown): ReceivedFrame | undefined {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    return this.received.find((f) => f.text === text);
  }

  /** Sends a frame (objects as JSON) to every connected client. */
  send(frame: unknown): void {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    for (const client of this.#server().clients) client.send(text);
  }

  /**
   * Resolves once every frame each client sent before this call has been
   * recorded: it pings every client and waits for the pongs, which a
   * client writes after everything it had written before.
   */
  async flush(): Promise<void> {
    const pongs = [...this.#server().clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          const done = () => {
            client.off("pong", done);
            client.off("close", done);
            resolve();
          };
          client.on("pong", done);
          client.on("close", done);
          client.ping();
        }),
    );
    await Promise.all(pongs);
  }

  /** Cuts every client's connection at once, as a crashing feed would. */
  dropConnections(): void {
    for (const client of this.#server().clients) client.terminate();
  }

  /** Drops every client and stops listening. */
  async stop(): Promise<void> {
    const wss = this.#wss;
    if (wss === undefined) return;
    this.#wss = undefined;
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  #accept(socket: WebSocket): void {
    this.connections++;
    const connection = this.connections;
    const reply = (frame: unknown) =>
      socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    socket.on("message", (data) => {
      const text = data.toString();
      this.received.push({ text, connection, at: Date.now() });
      this.responder?.(text, reply);
    });
  }

  #server(): WebSocketServer {
    if (this.#wss === undefined) throw new Error("upstream not started");
    return this.#wss;
  }
}

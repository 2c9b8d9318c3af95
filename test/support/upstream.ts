import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A real upstream feed for tests: a `ws` server on 127.0.0.1 that records
 * what clients send and lets the test push frames to every client.
 */
export class TestUpstream {
  readonly received: string[] = [];
  connections = 0;
  #wss: WebSocketServer | undefined;

  /** Listens on `port` (0 = any free one). */
  async start(port = 0): Promise<this> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    wss.on("connection", (socket) => {
      this.connections++;
      socket.on("message", (data) => this.received.push(data.toString()));
    });
    this.#wss = wss;
    return this;
  }

  get port(): number {
    return (this.#server().address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/feed`;
  }

  get clients(): ReadonlySet<WebSocket> {
    return this.#server().clients;
  }

  /** Sends a frame (objects as JSON) to every connected client. */
  send(frame: unknown): void {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    for (const client of this.#server().clients) client.send(text);
  }

  /** Drops every client and stops listening. */
  async stop(): Promise<void> {
    const wss = this.#wss;
    if (wss === undefined) return;
    this.#wss = undefined;
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  #server(): WebSocketServer {
    if (this.#wss === undefined) throw new Error("upstream not started");
    return this.#wss;
  }
}

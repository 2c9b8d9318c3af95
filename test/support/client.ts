import { WebSocket } from "ws";
import { waitFor } from "./wait-for.js";

/** A frame the gateway sent, parsed. */
export type Frame = Record<string, unknown> & { type: string };

/**
 * A real WebSocket client of the gateway that keeps every frame it got, in
 * order, so tests can assert on the complete received stream.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  closed: { code: number; reason: string } | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  static async connect(url: string, protocols?: string[]): Promise<TestClient> {
    const socket = new WebSocket(url, protocols);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    return new TestClient(socket);
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a request and resolves with the reply carrying the same id. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const id = frame.id ?? `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, id });
    await waitFor(`a reply to request ${String(id)}`, () =>
      this.frames.some((f) => f.id === id),
    );
    return this.frames.find((f) => f.id === id) as Frame;
  }

  /** Subscribes and waits for the `subscribed` reply. */
  async subscribe(topics: string[]): Promise<Frame> {
    const reply = await this.request({ type: "subscribe", topics });
    if (reply.type !== "subscribed") {
      throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
    }
    return reply;
  }

  messages(): Frame[] {
    return this.frames.filter((f) => f.type === "message");
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once("close", resolve));
    this.socket.close();
    await closed;
  }
}

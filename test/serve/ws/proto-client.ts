import { type RawData, WebSocket } from "ws";
import {
  type ClientFrame,
  ClientFrame as ClientFrameCodec,
  type ClientSubscribe,
  ServerFrame,
} from "../../../src/gen/tributary/v1/client_protocol.js";
import { SlowConsumerPolicy } from "../../../src/gen/tributary/v1/delivery.js";
import type { Envelope } from "../../../src/gen/tributary/v1/envelope.js";
import { waitFor } from "../../support/wait-for.js";

/** The binary subprotocol's name, spelled out as a client would. */
export const PROTO = "tributary.v1.proto";

/** How long a clean close may take before the socket is terminated. */
const CLOSE_TIMEOUT_MS = 1000;

/**
 * The request part of a ClientFrame; a subscribe may leave out what it
 * does not set.
 */
export type ProtoRequest =
  | Exclude<NonNullable<ClientFrame["request"]>, { $case: "subscribe" }>
  | {
      $case: "subscribe";
      value: Omit<ClientSubscribe, "policy"> & Partial<ClientSubscribe>;
    };

/**
 * A real WebSocket client of the binary subprotocol that decodes every
 * frame the gateway sends as a ServerFrame and keeps them in order. Text
 * frames, which the subprotocol never carries, are kept apart.
 */
export class ProtoTestClient {
  readonly frames: ServerFrame[] = [];
  /** Text frames received: always empty on a well-behaved gateway. */
  readonly textFrames: string[] = [];
  /** Why binary frames failed to decode: also always empty. */
  readonly decodeErrors: string[] = [];
  readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
  }

  static async connect(
    url: string,
    protocols: string[] = [PROTO],
  ): Promise<ProtoTestClient> {
    const socket = new WebSocket(url, protocols);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    return new ProtoTestClient(socket);
  }

  /** Sends one ClientFrame; fields left out take their defaults. */
  send(frame: { id?: string; request?: ProtoRequest }): void {
    const whole = ClientFrameCodec.fromPartial(frame);
    this.socket.send(ClientFrameCodec.encode(whole).finish(), { binary: true });
  }

  /** Sends a request and resolves with the reply carrying the same id. */
  async request(request: ProtoRequest, id = nextId()): Promise<ServerFrame> {
    this.send({ id, request });
    return this.reply(id);
  }

  /** Waits for the frame answering request `id`. */
  async reply(id: string): Promise<ServerFrame> {
    await waitFor(`a reply to request ${id}`, () =>
      this.frames.some((f) => f.id === id),
    );
    return this.frames.find((f) => f.id === id) as ServerFrame;
  }

  /** Subscribes and waits for the `subscribed` reply. */
  async subscribe(
    topics: string[],
    policy = SlowConsumerPolicy.SLOW_CONSUMER_POLICY_UNSPECIFIED,
  ): Promise<ServerFrame> {
    const value = { topics, resume: {}, policy };
    const reply = await this.request({ $case: "subscribe", value });
    if (reply.frame?.$case !== "subscribed") {
      throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
    }
    return reply;
  }

  /** The envelopes of every `message` frame, in order. */
  messages(): Envelope[] {
    return this.frames.flatMap((f) =>
      f.frame?.$case === "message" ? [f.frame.value] : [],
    );
  }

  /** The frames of one kind (`gap`, `error`, …), in order. */
  framesOf<K extends Frame["$case"]>(kind: K): FrameValue<K>[] {
    return this.frames.flatMap((f) =>
      f.frame?.$case === kind ? [f.frame.value as FrameValue<K>] : [],
    );
  }

  /** Closes the socket; terminates it when the handshake takes too long. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once("close", resolve));
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_TIMEOUT_MS);
    this.socket.close();
    await closed;
    clearTimeout(timer);
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    const bytes = data as Buffer;
    if (!isBinary) {
      this.textFrames.push(bytes.toString("utf8"));
      return;
    }
    // A throw here would escape into ws's receiver and wedge the socket;
    // a test then fails on what is missing instead of hanging.
    try {
      this.frames.push(ServerFrame.decode(bytes));
    } catch (err) {
      this.decodeErrors.push(err instanceof Error ? err.message : String(err));
    }
  }
}

type Frame = NonNullable<ServerFrame["frame"]>;
type FrameValue<K extends Frame["$case"]> = Extract<
  Frame,
  { $case: K }
>["value"];

let requestCount = 0;

function nextId(): string {
  requestCount++;
  return `p${requestCount}`;
}

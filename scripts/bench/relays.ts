/**
 * The two reference servers every scenario runs beside the gateway. Both
 * connect to the feed like the gateway does, turn each upstream frame into
 * one `message` frame of nearly the gateway's size (see `relayFrame`) and
 * send it to every connected client, with no protocol, queue or check:
 *
 * - `bare` frames each message once (header and payload in one buffer,
 *   with ws's own `Sender.frame`) and writes that buffer to every socket,
 *   the cheapest fan-out `ws` allows per message;
 * - `naive` calls `client.send(text)` per client, so `ws` encodes and
 *   frames the message again for every recipient.
 */
import type { Socket } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { frameForClients } from "../../src/serve/ws-frame.js";
import { relayFrame } from "./frames.js";
import type { RunningSystem } from "./systems.js";

/** Starts the `bare` or `naive` relay in front of `feedUrl`. */
export async function startRelay(
  kind: "bare" | "naive",
  feedUrl: string,
): Promise<RunningSystem> {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const { port } = wss.address() as { port: number };
  const send = kind === "bare" ? sendBare : sendNaive;

  let seq = 0;
  const upstream = new WebSocket(feedUrl, { perMessageDeflate: false });
  upstream.on("message", (data) => {
    const frame = relayFrame(data as Buffer, ++seq);
    if (frame !== undefined) send(wss.clients, frame);
  });
  await new Promise<void>((resolve, reject) => {
    upstream.once("open", resolve);
    upstream.once("error", reject);
  });

  return {
    url: `ws://127.0.0.1:${port}/ws`,
    stop: async () => {
      upstream.terminate();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** One frame built once, the same buffer written to every socket. */
function sendBare(clients: ReadonlySet<WebSocket>, frame: Buffer): void {
  const whole = frameForClients(frame, false);
  for (const client of clients) {
    if (client.readyState !== WebSocket.OPEN) continue;
    // ws keeps its net.Socket in `_socket`; writing to it directly skips
    // the per-send framing that is the point of this reference.
    const socket = (client as unknown as { _socket: Socket })._socket;
    socket.write(whole);
  }
}

/** What most ws code does: one `send` of the text per client. */
function sendNaive(clients: ReadonlySet<WebSocket>, frame: Buffer): void {
  const text = frame.toString();
  for (const client of clients) {
    if (client.readyState === WebSocket.OPEN) client.send(text);
  }
}

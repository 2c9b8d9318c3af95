import type { AddressInfo } from "node:net";
import { type ServerOptions, WebSocketServer } from "ws";

/** Starts a `ws` server on 127.0.0.1 and resolves once it listens. */
export async function listenWs(
  port: number,
  options: Omit<ServerOptions, "port" | "host"> = {},
): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ ...options, host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  return wss;
}

/** The ws:// URL of a listening server, with a path. */
export function wsUrl(wss: WebSocketServer, path: string): string {
  const { port } = wss.address() as AddressInfo;
  return `ws://127.0.0.1:${port}${path}`;
}

/** Terminates every client and closes the server. */
export async function closeWs(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

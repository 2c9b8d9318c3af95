import { createServer, IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Socket } from "node:net";
import type { Dashboard } from "../../src/dashboard/index.js";
import type {
  ClientView,
  GroupView,
  SourceView,
  TopicView,
} from "../../src/gateway/index.js";
import type { SourceHealth } from "../../src/sources/index.js";

/** A read and an admin token, as a config file would list them. */
export const READ_TOKEN = "read-token-0123456789";
export const ADMIN_TOKEN = "admin-token/+=0123456789";
export const TOKENS_AUTH = {
  control: {
    tokens: [
      { token: READ_TOKEN, role: "read" as const, name: "viewer" },
      { token: ADMIN_TOKEN, role: "admin" as const },
    ],
  },
};
export const NO_AUTH = { control: { tokens: [] } };

/**
 * An HTTP server on 127.0.0.1:0 that routes to the dashboard first, as
 * the gateway will, and answers everything else with 404.
 */
export async function serveDashboard(
  dashboard: Dashboard,
): Promise<{ server: Server; base: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (dashboard.handleHttp(req, res)) return;
    res.writeHead(404).end("not found\n");
  });
  server.on("upgrade", (req, socket, head) => {
    if (dashboard.handleUpgrade(req, socket, head)) return;
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A request as the HTTP server would hand it over, without a socket. */
export function requestOf(
  url: string,
  headers: Record<string, string> = {},
): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.headers = headers;
  return req;
}

const UP: SourceHealth = { state: "up", reason: "connected", since: 1000 };

/** A source view with the given counters; health up unless given. */
export function sourceView(
  id: string,
  counters: Partial<SourceView["counters"]> = {},
  health: SourceHealth = UP,
): SourceView {
  return {
    config: { id } as SourceView["config"],
    health,
    counters: {
      frames: 0,
      translated: 0,
      skipped: 0,
      failed: 0,
      connects: 1,
      frameRate: 0,
      ...counters,
    },
    group: id,
    origin: "config",
  };
}

/** An active-standby group of `members`, `active` first by default. */
export function groupView(
  id: string,
  members: string[],
  active?: string,
): GroupView {
  return {
    config: {
      id,
      mode: "active-standby",
      dedupe: { by: "id", window: 10 },
    } as GroupView["config"],
    members: members.map((member, i) => ({
      id: member,
      priority: members.length - i,
      health: UP,
      accepted: 10,
      duplicates: i,
    })),
    active,
    origin: "config",
  };
}

/** A topic view fed by `sources` at `rate` messages a second. */
export function topicView(
  topic: string,
  rate: number,
  sources: string[],
  gaps = 0,
): TopicView {
  return {
    topic,
    seq: 1,
    epoch: "e1",
    messages: 1,
    lastMessageAt: 1000,
    messageRate: rate,
    subscribers: 0,
    sources,
    gaps,
  };
}

/** A client view of `transport` with `sent` and `dropped` so far. */
export function clientView(
  id: string,
  transport: ClientView["transport"],
  sent: number,
  dropped = 0,
): ClientView {
  return {
    id,
    transport,
    remoteAddress: "127.0.0.1:1",
    subscriptions: [],
    queueDepth: 0,
    sent,
    dropped,
    gaps: 0,
    connectedAt: 0,
    protocol: "",
    policies: {},
    stalled: false,
  };
}

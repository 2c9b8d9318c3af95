/**
 * Scenario 8's upstream: four `ws` feeds on one schedule. Of every three
 * message ids, the first goes out on two feeds (its own and the next), so
 * that one frame in four is a duplicate another feed already sent, as in
 * an active-active group of four redundant feeds.
 */
import { type WebSocket, WebSocketServer } from "ws";
import {
  boundLifetime,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs } from "./clock.js";

/** Feeds, and so members of the group. */
export const PIPELINE_FEEDS = 4;
const PAD = "x".repeat(64);

/** What the feed is told to send. */
export interface PipelineRun {
  readonly type: "run";
  readonly startAt: number;
  /** Frames per second over all feeds, until endAt. */
  readonly rate: number;
  readonly endAt: number;
}

/** Frame f: which id it carries and which feed sends it. */
export function frameAt(f: number): { id: number; feed: number } {
  const block = Math.floor(f / 4);
  const j = f % 4;
  const id = 3 * block + (j === 0 ? 0 : j - 1) + 1;
  const feed = j === 1 ? id % PIPELINE_FEEDS : (id - 1) % PIPELINE_FEEDS;
  return { id, feed };
}

async function main(): Promise<void> {
  boundLifetime("pipeline-feed", maxMsFromArgv(120_000));
  const sockets: (WebSocket | undefined)[] = [];
  const urls = await Promise.all(
    Array.from({ length: PIPELINE_FEEDS }, (_, i) => listen(i, sockets)),
  );
  sendToParent({ type: "listening", urls });
  onCommand<PipelineRun>("pipeline-feed", (run) => {
    let sent = 0;
    const tick = () => {
      const now = Math.min(clockMs(), run.endAt);
      const due = Math.floor(((now - run.startAt) * run.rate) / 1000);
      for (; sent < due; sent++) {
        const { id, feed } = frameAt(sent);
        sockets[feed]?.send(
          `{"topic":"pipe","id":${id},"data":{"n":${id},"pad":"${PAD}"}}`,
        );
      }
      if (clockMs() >= run.endAt) {
        sendToParent({ type: "feed-report", sent });
        return;
      }
      setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, run.startAt - clockMs()));
  });
}

function listen(
  i: number,
  sockets: (WebSocket | undefined)[],
): Promise<string> {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: false,
  });
  wss.on("connection", (socket) => {
    sockets[i] = socket;
    sendToParent({ type: "upstream", feed: i });
  });
  return new Promise((resolve) =>
    wss.once("listening", () => {
      const { port } = wss.address() as { port: number };
      resolve(`ws://127.0.0.1:${port}`);
    }),
  );
}

void main();

/**
 * Scenario 8's two ingest paths, each behind four feeds: the gateway
 * (four sources in one active-active group deduplicating by id, no
 * clients) and the same work as plain callbacks: decode each frame with
 * the same codec, drop an id seen among the last 10,000, publish into a
 * topic graph.
 */

import { WebSocket } from "ws";
import { createCodec } from "../../src/codecs/index.js";
import { parseConfig } from "../../src/config/index.js";
import { Gateway } from "../../src/gateway/index.js";
import { BoundedSet } from "../../src/pipeline/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { TopicGraph } from "../../src/topics/index.js";
import type { CountsReport } from "./protocol.js";

/** The gateway's default dedupe window, which both paths use. */
const DEDUPE_WINDOW = 10_000;

/** A running ingest path. */
export interface IngestPath {
  counts(): CountsReport;
  stop(): Promise<void>;
}

/** The codec both paths decode every frame with. */
const CODEC = {
  format: "json",
  topic: "bench.{/topic}",
  id: "/id",
  data: "/data",
} as const;

/** The gateway with one source per feed, all in one group. */
export async function startGatewayIngest(
  feedUrls: readonly string[],
): Promise<IngestPath> {
  const config = parseConfig(configFor(feedUrls));
  const gateway = new Gateway(config, createSilentLogger());
  await gateway.start();
  await waitFor(() =>
    gateway.control.listSources().every((s) => s.health.state === "up"),
  );
  return {
    counts: () => {
      const sources = gateway.control.listSources();
      const topic = gateway.control
        .listTopics()
        .find((t) => t.topic === "bench.pipe");
      return {
        type: "counts",
        frames: sources.reduce((sum, s) => sum + s.counters.frames, 0),
        unique: topic?.messages ?? 0,
      };
    },
    stop: () => gateway.stop(),
  };
}

/**
 * The same logic as plain callbacks on four ws clients: the gateway's own
 * codec compiled from the same config, a FIFO window of the last 10,000
 * ids, and the gateway's topic graph (seq, epoch, history). What is left
 * out is what the gateway adds around that logic: RxJS between the steps,
 * source health and reconnects, counters and metrics.
 */
export async function startCallbackIngest(
  feedUrls: readonly string[],
): Promise<IngestPath> {
  const config = parseConfig(configFor(feedUrls));
  const graph = new TopicGraph({
    historyMessages: config.limits.historyMessages,
    historyMaxAgeMs: config.limits.historyMaxAgeMs,
  });
  const seen = new BoundedSet<string>(DEDUPE_WINDOW);
  let frames = 0;
  let unique = 0;
  const sockets = await Promise.all(
    config.sources.map((source) => {
      const decode = createCodec(source.codec, source.id);
      const onMessage = (data: Buffer, isBinary: boolean) => {
        frames++;
        const frame = { source: source.id, data, isBinary };
        const { messages } = decode({ ...frame, receivedAt: Date.now() });
        for (const message of messages) {
          if (message.id === undefined || !seen.add(message.id)) continue;
          graph.publish(message);
          unique++;
        }
      };
      return new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(source.url, { perMessageDeflate: false });
        socket.on("message", onMessage);
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
      });
    }),
  );
  return {
    counts: () => ({ type: "counts", frames, unique }),
    stop: async () => {
      for (const socket of sockets) socket.terminate();
    },
  };
}

/** Four sources on the feeds, in one active-active group by id. */
function configFor(feedUrls: readonly string[]) {
  const ids = feedUrls.map((_, i) => `feed${i + 1}`);
  return {
    server: { host: "127.0.0.1", port: 0, grpcPort: 0 },
    sources: feedUrls.map((url, i) => ({ id: ids[i], url, codec: CODEC })),
    groups: [
      {
        id: "bench",
        mode: "active-active",
        sources: ids,
        dedupe: { by: "id", window: DEDUPE_WINDOW },
      },
    ],
  };
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("sources not healthy in 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

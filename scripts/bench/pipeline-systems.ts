/**
 * Scenario 8's two ingest paths, each behind four feeds: the gateway
 * (four sources in one active-active group deduplicating by id, no
 * clients) and the same work as plain callbacks — parse each frame,
 * drop an id seen among the last 10,000, count.
 */

import { WebSocket } from "ws";
import { parseConfig } from "../../src/config/index.js";
import { Gateway } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import type { CountsReport } from "./protocol.js";

/** The gateway's default dedupe window, which both paths use. */
const DEDUPE_WINDOW = 10_000;

/** A running ingest path. */
export interface IngestPath {
  counts(): CountsReport;
  stop(): Promise<void>;
}

/** The gateway with one source per feed, all in one group. */
export async function startGatewayIngest(
  feedUrls: readonly string[],
): Promise<IngestPath> {
  const ids = feedUrls.map((_, i) => `feed${i + 1}`);
  const config = parseConfig({
    server: { host: "127.0.0.1", port: 0, grpcPort: 0 },
    sources: feedUrls.map((url, i) => ({
      id: ids[i],
      url,
      codec: {
        format: "json",
        topic: "bench.{/topic}",
        id: "/id",
        data: "/data",
      },
    })),
    groups: [
      {
        id: "bench",
        mode: "active-active",
        sources: ids,
        dedupe: { by: "id" },
      },
    ],
  });
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

/** The same logic, written as callbacks on four ws clients. */
export async function startCallbackIngest(
  feedUrls: readonly string[],
): Promise<IngestPath> {
  const seen = new Set<unknown>();
  let frames = 0;
  let unique = 0;
  const onMessage = (data: Buffer) => {
    frames++;
    const value = JSON.parse(data.toString()) as {
      topic: string;
      id: unknown;
      data: unknown;
    };
    if (typeof value.topic !== "string" || value.data === undefined) return;
    if (seen.has(value.id)) return;
    seen.add(value.id);
    // A Set iterates in insertion order: the first key is the oldest.
    if (seen.size > DEDUPE_WINDOW) seen.delete(seen.values().next().value);
    unique++;
  };
  const sockets = await Promise.all(
    feedUrls.map(
      (url) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { perMessageDeflate: false });
          socket.on("message", onMessage);
          socket.once("open", () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  return {
    counts: () => ({ type: "counts", frames, unique }),
    stop: async () => {
      for (const socket of sockets) socket.terminate();
    },
  };
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("sources not healthy in 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

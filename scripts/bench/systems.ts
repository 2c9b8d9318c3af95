/**
 * Starting a system under test in the server process: the gateway, or one
 * of the reference relays.
 */
import { parseConfig } from "../../src/config/index.js";
import { Gateway } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import type { SystemName } from "./protocol.js";
import { startRelay } from "./relays.js";

/** A system under test, listening and connected to the feed. */
export interface RunningSystem {
  /** Where clients connect. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `system` with the feed at `feedUrl` as its upstream. */
export function startSystem(
  system: SystemName,
  feedUrl: string,
): Promise<RunningSystem> {
  return system === "gateway"
    ? startGateway(feedUrl)
    : startRelay(system, feedUrl);
}

/**
 * The gateway as issue 5 asks for it in the fan-out scenario: one source,
 * the json codec normalizing each frame, one group deduplicating by id.
 */
async function startGateway(feedUrl: string): Promise<RunningSystem> {
  const config = parseConfig({
    server: { host: "127.0.0.1", port: 0 },
    sources: [
      {
        id: "feed",
        url: feedUrl,
        codec: {
          format: "json",
          topic: "bench.{/topic}",
          id: "/id",
          seq: "/seq",
          data: "/data",
        },
      },
    ],
    groups: [{ id: "bench", sources: ["feed"], dedupe: { by: "id" } }],
  });
  const gateway = new Gateway(config, createSilentLogger());
  const { port } = await gateway.start();
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    stop: () => gateway.stop(),
  };
}

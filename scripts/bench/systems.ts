/**
 * Starting a system under test in the server process: the gateway (in
 * the variant a scenario asks for), or one of the reference servers.
 */
import { parseConfig } from "../../src/config/index.js";
import { Gateway } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { startGrpcRelay } from "./grpc-relay.js";
import { startCallbackIngest, startGatewayIngest } from "./pipeline-systems.js";
import type { CountsReport, SystemSpec } from "./protocol.js";
import { startRelay } from "./relays.js";

/** A system under test, listening and connected to the feed. */
export interface RunningSystem {
  /** Where clients connect: a ws:// URL, or host:port for gRPC. */
  readonly url: string;
  /** The gateway itself, when that is what runs. */
  readonly gateway?: Gateway;
  /** Scenario 8: what the ingest path counted. */
  counts?(): CountsReport;
  stop(): Promise<void>;
}

/** Starts `spec` with the feed at `feedUrl` as its upstream. */
export async function startSystem(
  spec: SystemSpec,
  feedUrl: string,
  feedUrls: readonly string[] = [],
): Promise<RunningSystem> {
  switch (spec.kind) {
    case "pipeline-gateway":
      return { url: "", ...(await startGatewayIngest(feedUrls)) };
    case "pipeline-callbacks":
      return { url: "", ...(await startCallbackIngest(feedUrls)) };
    case "gateway":
    case "grpc-gateway":
      return startGateway(spec, feedUrl);
    case "grpc-bare":
      return startGrpcRelay(feedUrl);
    case "proxy":
      return startProxy(feedUrl);
    case "direct":
      // Nothing runs here: the clients connect to the feed itself.
      return { url: feedUrl, stop: async () => {} };
    default:
      return startRelay(spec.kind, feedUrl);
  }
}

/**
 * The gateway as issue 5 asks for it in the fan-out scenario: one source,
 * the json codec normalizing each frame, one group deduplicating by id.
 * gRPC always listens on a free port, never the default 50051.
 */
async function startGateway(
  spec: SystemSpec,
  feedUrl: string,
): Promise<RunningSystem> {
  const config = parseConfig({
    server: { host: "127.0.0.1", port: 0, grpcPort: 0 },
    sources: [
      {
        id: "feed",
        url: feedUrl,
        codec: {
          format: "json",
          topic:
            spec.manyTopics === true ? "bench.{/g}.{/t}" : "bench.{/topic}",
          id: "/id",
          seq: "/seq",
          data: "/data",
        },
      },
    ],
    groups: [{ id: "bench", sources: ["feed"], dedupe: { by: "id" } }],
    limits: spec.limits ?? {},
  });
  const gateway = new Gateway(config, createSilentLogger());
  const { port } = await gateway.start();
  const url =
    spec.kind === "grpc-gateway"
      ? `127.0.0.1:${gateway.grpcPort}`
      : `ws://127.0.0.1:${port}/ws`;
  return { url, gateway, stop: () => gateway.stop() };
}

/** Where the proxy scenario's pool serves its clients. */
const PROXY_PATH = "/proxy/x";

/**
 * The gateway in proxy mode only: no sources, one pool on
 * {@link PROXY_PATH} whose one backend is the feed, so that each client
 * session is forwarded frame by frame to a session of its own there.
 */
async function startProxy(feedUrl: string): Promise<RunningSystem> {
  const config = parseConfig({
    server: { host: "127.0.0.1", port: 0, grpcPort: 0 },
    pools: [
      {
        id: "bench",
        path: PROXY_PATH,
        backends: [{ id: "feed", url: `${feedUrl}/` }],
      },
    ],
  });
  const gateway = new Gateway(config, createSilentLogger());
  const { port } = await gateway.start();
  const url = `ws://127.0.0.1:${port}${PROXY_PATH}`;
  return { url, gateway, stop: () => gateway.stop() };
}

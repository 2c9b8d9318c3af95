import { parseConfig } from "../../src/config/index.js";
import { Gateway, type GatewayOptions } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";

/** A gateway on a free port with a silent logger, and its client URL. */
export interface RunningGateway {
  readonly gateway: Gateway;
  readonly wsUrl: string;
  readonly httpUrl: string;
  /** `127.0.0.1:<port>` of the gateway's gRPC server. */
  readonly grpcAddress: string;
  stop(): Promise<void>;
}

/**
 * Validates `config` as a config file would be (with the port forced to 0)
 * and starts a gateway from it.
 */
export async function startGateway(
  config: Record<string, unknown>,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const parsed = parseConfig({
    ...config,
    server: { host: "127.0.0.1", port: 0, grpcPort: 0 },
  });
  const gateway = new Gateway(parsed, createSilentLogger(), options);
  const { port } = await gateway.start();
  return {
    gateway,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    grpcAddress: `127.0.0.1:${gateway.grpcPort}`,
    stop: () => gateway.stop(),
  };
}

/** A `json` codec that puts `{"a":..,"b":..}` frames on topic `a.b`. */
export const AB_CODEC = { format: "json", topic: "{/a}.{/b}", data: "/" };

/** Fast reconnects so tests about restarts finish quickly. */
export const FAST_RECONNECT = {
  initialDelayMs: 20,
  maxDelayMs: 200,
  multiplier: 2,
};

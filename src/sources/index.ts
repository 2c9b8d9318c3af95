/**
 * Upstream sources: one WebSocket connection per configured source, with
 * subscribe frames, heartbeat, staleness, reconnect backoff and health.
 */

export type { BackoffOptions } from "./backoff.js";
export { Backoff } from "./backoff.js";
export type {
  SourceConnectionOptions,
  SourceStats,
} from "./source-connection.js";
export {
  DEFAULT_MAX_FRAME_BYTES,
  SourceConnection,
} from "./source-connection.js";
export type {
  SourceConnecting,
  SourceDown,
  SourceHealth,
  SourcePaused,
  SourceStale,
  SourceState,
  SourceUp,
} from "./source-health.js";
export {
  healthConnecting,
  healthDown,
  healthPaused,
  healthStale,
  healthUp,
  isHealthy,
} from "./source-health.js";

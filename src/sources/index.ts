/**
 * Upstream sources: one WebSocket connection per configured source, with
 * subscribe frames, heartbeat, staleness, reconnect backoff and health.
 */

export type { BackoffOptions } from "./backoff.js";
export { Backoff } from "./backoff.js";
export type {
  DemandFrames,
  DemandRuleSpec,
  Rejection,
  RejectionSpec,
} from "./demand-rules.js";
export {
  checkFrameTemplate,
  compileRejection,
  DemandRules,
} from "./demand-rules.js";
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
export type {
  HoldResult,
  OnDemandSettings,
  UpstreamChangeEvent,
  UpstreamEntry,
  UpstreamState,
  UpstreamSubscriptionsOptions,
} from "./upstream-subscriptions.js";
export { UpstreamSubscriptions } from "./upstream-subscriptions.js";

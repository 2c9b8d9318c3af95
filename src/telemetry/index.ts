/**
 * Logs, traces, metrics and readiness. The gateway holds one
 * {@link GatewayTelemetry} and calls it from its hooks; the entry point
 * calls {@link startTracing} before importing anything else.
 */

export { Attr } from "./attributes.js";
export type { FailoverLike } from "./failover-span.js";
export { recordFailover } from "./failover-span.js";
export type {
  GatewayTelemetryOptions,
  SessionChangeLike,
} from "./gateway-telemetry.js";
export { GatewayTelemetry } from "./gateway-telemetry.js";
export type { Logger, LoggerOptions, TraceFields } from "./logger.js";
export { createLogger, createSilentLogger, traceFields } from "./logger.js";
export type { GatewayMetricsOptions } from "./metrics.js";
export { DEFAULT_LATENCY_SAMPLE_EVERY, GatewayMetrics } from "./metrics.js";
export type {
  BackendReading,
  PoolReading,
  ProxyReadings,
} from "./proxy-metrics.js";
export { observeProxy } from "./proxy-metrics.js";
export type { ProxyChangeLike, ProxySessionLike } from "./proxy-spans.js";
export { ProxySpans } from "./proxy-spans.js";
export type { Readiness, ReadinessProblem } from "./readiness.js";
export { checkReadiness, NOT_STARTED } from "./readiness.js";
export type {
  GatewayReadings,
  GroupReading,
  MemberReading,
  SourceReading,
} from "./readings.js";
export { CounterFold } from "./readings.js";
export type {
  DeliveryCounts,
  ObservedSession,
  SessionEnd,
  TransportName,
} from "./session-spans.js";
export { SessionSpans, splitAddress } from "./session-spans.js";
export type { ConnectOutcome, HealthLike } from "./source-spans.js";
export { redactUrl, SourceConnectSpans, TRACER_NAME } from "./source-spans.js";
export type { TraceExport, Tracing, TracingOptions } from "./tracing.js";
export {
  DEFAULT_SERVICE_NAME,
  shutdownTracing,
  startTracing,
} from "./tracing.js";

import type { Tracer } from "@opentelemetry/api";
import { type FailoverLike, recordFailover } from "./failover-span.js";
import { GatewayMetrics, type GatewayMetricsOptions } from "./metrics.js";
import type { ProxyReadings } from "./proxy-metrics.js";
import { type ProxyChangeLike, ProxySpans } from "./proxy-spans.js";
import { checkReadiness, NOT_STARTED, type Readiness } from "./readiness.js";
import type { GatewayReadings } from "./readings.js";
import {
  type ObservedSession,
  SessionSpans,
  type TransportName,
} from "./session-spans.js";
import { type HealthLike, SourceConnectSpans } from "./source-spans.js";

/** Options of {@link GatewayTelemetry}. */
export interface GatewayTelemetryOptions extends GatewayMetricsOptions {
  /** Tracer of the gateway's spans; default the global `tributary` one. */
  readonly tracer?: Tracer;
}

/** A session opening or closing, as `WsGatewayOptions.onSessionChange`. */
export interface SessionChangeLike {
  readonly session: ObservedSession;
  readonly connected: boolean;
  /** On close: the close code and reason, as `1000 bye`. */
  readonly reason?: string;
}

/**
 * Everything one gateway reports to OpenTelemetry, behind one method per
 * gateway hook: the spans of source connects, failovers and client
 * sessions, the metrics, and readiness. Each hook method is cheap and
 * never throws into the gateway.
 */
export class GatewayTelemetry {
  readonly metrics: GatewayMetrics;
  readonly sources: SourceConnectSpans;
  readonly sessions: SessionSpans;
  readonly proxySessions: ProxySpans;
  readonly #tracer: Tracer | undefined;
  #readings: GatewayReadings | undefined;

  /** @throws RangeError for a bad `latencySampleEvery`. */
  constructor(options: GatewayTelemetryOptions = {}) {
    this.#tracer = options.tracer;
    this.metrics = new GatewayMetrics(options);
    this.sources = new SourceConnectSpans(options.tracer);
    this.sessions = new SessionSpans(options.tracer);
    this.proxySessions = new ProxySpans(options.tracer);
  }

  /**
   * Sets what metrics and readiness read, normally the gateway's control
   * plane, once it exists. Until then readiness is {@link NOT_STARTED}.
   */
  watch(readings: GatewayReadings): void {
    this.#readings = readings;
    this.metrics.watch(readings);
  }

  /** Sets what the proxy metrics read, normally `gateway.proxy`. */
  watchProxy(proxy: ProxyReadings): void {
    this.metrics.watchProxy(proxy);
  }

  /** For `ProxyGatewayOptions.onSessionChange`: `proxy.session` spans. */
  proxySessionChange(change: ProxyChangeLike): void {
    this.proxySessions.observe(change);
  }

  /** For `TopologyHooks.onHealth`: connect attempt spans. */
  sourceHealth(source: string, url: string, to: HealthLike): void {
    this.sources.observe(source, url, to);
  }

  /** For `TopologyHooks.onFailover`: a span and the failover counter. */
  failover(event: FailoverLike): void {
    recordFailover(event, this.#tracer);
    this.metrics.recordFailover(event.group);
  }

  /**
   * For `WsGatewayOptions.onSessionChange` (and gRPC streams, with
   * `transport` `grpc`): the session span and the client metrics.
   */
  sessionChange(
    change: SessionChangeLike,
    transport: TransportName = "websocket",
  ): void {
    const { session } = change;
    if (change.connected) {
      this.sessions.opened(session, transport);
      this.metrics.sessionOpened(session, transport);
      return;
    }
    this.sessions.closed(session.id, closeOf(change.reason));
    this.metrics.sessionClosed(session.id);
  }

  /** A gap notice published for a topic (`missing` messages). */
  recordGap(reason: string, missing: number): void {
    this.metrics.recordGap(reason, missing);
  }

  /** A topic epoch reset published. */
  recordReset(reason: string): void {
    this.metrics.recordReset(reason);
  }

  /** One message written to a client; see GatewayMetrics.recordDelivery. */
  recordDelivery(transport: TransportName, ingestTime: number): void {
    this.metrics.recordDelivery(transport, ingestTime);
  }

  /** The default readiness rule over what {@link watch} was given. */
  readiness(): Readiness {
    const readings = this.#readings;
    return readings === undefined ? NOT_STARTED : checkReadiness(readings);
  }

  /** `/metrics`: every instrument as Prometheus text. */
  renderMetrics(): Promise<string> {
    return this.metrics.render();
  }

  /** Ends open spans and stops the metrics; call after the gateway stops. */
  async close(): Promise<void> {
    this.sources.close();
    this.sessions.close();
    this.proxySessions.close();
    this.#readings = undefined;
    await this.metrics.shutdown();
  }
}

/** Splits `1000 bye` into a close code and reason. */
function closeOf(reason: string | undefined): {
  code?: number;
  reason?: string;
} {
  if (reason === undefined) return {};
  const match = /^(\d{3,4})(?:\s+(.*))?$/s.exec(reason);
  if (match === null) return { reason };
  return { code: Number(match[1]), reason: match[2] || undefined };
}

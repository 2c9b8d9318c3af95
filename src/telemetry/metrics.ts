import type {
  Attributes,
  BatchObservableResult,
  Histogram,
  Meter,
  ObservableCounter,
} from "@opentelemetry/api";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { Attr } from "./attributes.js";
import { ClientTotals } from "./client-totals.js";
import { observeProxy, type ProxyReadings } from "./proxy-metrics.js";
import {
  CounterFold,
  type GatewayReadings,
  type SourceReading,
} from "./readings.js";
import type { ObservedSession, TransportName } from "./session-spans.js";
import { DEFAULT_SERVICE_NAME } from "./tracing.js";

/** Default of {@link GatewayMetricsOptions.latencySampleEvery}. */
export const DEFAULT_LATENCY_SAMPLE_EVERY = 16;

/** Health states a source can be in, one gauge series each. */
const SOURCE_STATES = ["connecting", "up", "stale", "down", "paused"];
const UPSTREAM_STATES = ["pending", "subscribed", "lingering", "rejected"];

/** Latency buckets in seconds: 0.5 ms to 5 s. */
const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Per-source counters: name, unit, description, SourceReading field. */
const SOURCE_COUNTERS = [
  ["tributary.source.frames", "{frame}", "Frames received", "frames"],
  [
    "tributary.source.messages",
    "{message}",
    "Messages translated",
    "translated",
  ],
  [
    "tributary.source.frames.skipped",
    "{frame}",
    "Frames no codec rule matched",
    "skipped",
  ],
  [
    "tributary.source.failures",
    "{failure}",
    "Frames or messages that could not be translated",
    "failed",
  ],
] as const satisfies readonly (readonly [
  string,
  string,
  string,
  keyof SourceReading["counters"],
])[];

/** The reason code of drops and gaps made by a session's queue. */
const SLOW_CONSUMER = "slow-consumer";

/** Options of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** `service.name` on `target_info`; default `tributary`. */
  readonly serviceName?: string;
  /**
   * Record the latency of one delivery in this many; a power of two.
   * Default {@link DEFAULT_LATENCY_SAMPLE_EVERY}; 1 records every one.
   */
  readonly latencySampleEvery?: number;
}

/** A reader that collects only when asked: `/metrics` pulls. */
class PullReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The gateway's OpenTelemetry metrics, on a meter provider of its own (so
 * two gateways in one process keep separate counts), rendered as
 * Prometheus text by {@link render}.
 *
 * Counters the gateway already keeps (translator stats, dedupe counts,
 * session queues) are read by observable instruments at collection, so
 * the message path does no extra work. The exceptions are events too rare
 * to matter (gaps, resets, failovers) and the sampled latency histogram.
 */
export class GatewayMetrics {
  readonly #provider: MeterProvider;
  readonly #reader = new PullReader();
  // No prefix, no timestamps, no resource labels on every series (they
  // are on target_info), no otel_scope_name label: one scope serves all.
  readonly #serializer = new PrometheusSerializer(
    "",
    false,
    undefined,
    false,
    true,
  );
  readonly #latency: Histogram;
  readonly #sampleMask: number;
  readonly #transportAttributes: Record<TransportName, Attributes> = {
    websocket: { [Attr.TRANSPORT]: "websocket" },
    grpc: { [Attr.TRANSPORT]: "grpc" },
  };
  #deliveries = 0;
  #readings: GatewayReadings | undefined;
  #proxy: ProxyReadings | undefined;
  readonly #fold = new CounterFold();
  readonly #clients = new ClientTotals();
  /** Gap notices, messages missing, resets: by reason; failovers: group. */
  readonly #gaps = new Map<string, number>();
  readonly #missing = new Map<string, number>();
  readonly #resets = new Map<string, number>();
  readonly #failovers = new Map<string, number>();

  /** @throws RangeError when `latencySampleEvery` is not a power of two. */
  constructor(options: GatewayMetricsOptions = {}) {
    const every = options.latencySampleEvery ?? DEFAULT_LATENCY_SAMPLE_EVERY;
    if (!Number.isInteger(every) || every < 1 || (every & (every - 1)) !== 0) {
      throw new RangeError(
        `latencySampleEvery must be a power of two, not ${every}`,
      );
    }
    this.#sampleMask = every - 1;
    const serviceName = options.serviceName ?? DEFAULT_SERVICE_NAME;
    this.#provider = new MeterProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
      readers: [this.#reader],
    });
    const meter = this.#provider.getMeter("tributary");
    this.#latency = meter.createHistogram("tributary.delivery.latency", {
      description: "Time from ingest to the write to a client",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    });
    this.#observeSources(meter);
    this.#observeClients(meter);
    observeProxy(meter, () => this.#proxy);
  }

  /**
   * Sets what the source and group instruments read, normally the
   * gateway's control plane. Until then they report nothing.
   */
  watch(readings: GatewayReadings): void {
    this.#readings = readings;
  }

  /** Sets what the proxy instruments read, normally `gateway.proxy`. */
  watchProxy(proxy: ProxyReadings): void {
    this.#proxy = proxy;
  }

  /**
   * Takes one message written to a client (`ingestTime` from its envelope)
   * and, for one in `latencySampleEvery`, records its ingest-to-write
   * latency. O(1) without allocation, for the delivery path; the delivered
   * counter itself comes from the session queues, not from here.
   */
  recordDelivery(transport: TransportName, ingestTime: number): void {
    this.#deliveries += 1;
    if ((this.#deliveries & this.#sampleMask) !== 0) return;
    const seconds = Math.max(0, Date.now() - ingestTime) / 1000;
    this.#latency.record(seconds, this.#transportAttributes[transport]);
  }

  /** A session connected: counted among clients and deliveries. */
  sessionOpened(session: ObservedSession, transport: TransportName): void {
    this.#clients.opened(session, transport);
  }

  /** A session closed: its final counts stay in the totals. */
  sessionClosed(sessionId: string): void {
    this.#clients.closed(sessionId);
  }

  /** Counts a gap notice of `reason` that announced `missing` messages. */
  recordGap(reason: string, missing: number): void {
    increment(this.#gaps, reason, 1);
    increment(this.#missing, reason, missing);
  }

  /** Counts a topic epoch reset of `reason`. */
  recordReset(reason: string): void {
    increment(this.#resets, reason, 1);
  }

  /** Counts a failover of `group`. */
  recordFailover(group: string): void {
    increment(this.#failovers, group, 1);
  }

  /** Collects every instrument and renders it as Prometheus text. */
  async render(): Promise<string> {
    const { resourceMetrics, errors } = await this.#reader.collect();
    const text = this.#serializer.serialize(resourceMetrics);
    if (errors.length === 0) return text;
    // A failing callback must not hide the other metrics; say so instead.
    const problems = errors.map((e) => String(e).replace(/\s+/g, " "));
    return `# collection errors: ${problems.join("; ")}\n${text}`;
  }

  /** Stops the meter provider; render() fails afterwards. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }

  #observeSources(meter: Meter): void {
    const perSource = SOURCE_COUNTERS.map(
      ([name, unit, description, field]) =>
        [
          meter.createObservableCounter(name, { unit, description }),
          field,
        ] as const,
    );
    const state = meter.createObservableGauge("tributary.source.state", {
      unit: "1",
      description: "1 for the health state each source is in, else 0",
    });
    const duplicates = meter.createObservableCounter(
      "tributary.group.duplicates",
      { unit: "{message}", description: "Copies dropped by a group's dedupe" },
    );
    const upstream = meter.createObservableGauge(
      "tributary.upstream.subscriptions",
      {
        unit: "{topic}",
        description:
          "Topics a source serves on demand, by state: pending, " +
          "subscribed, lingering, rejected",
      },
    );
    const observables = [
      ...perSource.map(([c]) => c),
      state,
      duplicates,
      upstream,
    ];
    meter.addBatchObservableCallback((result) => {
      for (const source of this.#readings?.listSources() ?? []) {
        const id = source.config.id;
        const attributes = { [Attr.SOURCE]: id };
        for (const [instrument, field] of perSource) {
          const total = this.#fold.fold(
            `${field}:${id}`,
            source.counters[field],
          );
          result.observe(instrument, total, attributes);
        }
        for (const s of SOURCE_STATES) {
          const value = source.health.state === s ? 1 : 0;
          result.observe(state, value, { ...attributes, [Attr.STATE]: s });
        }
      }
      for (const group of this.#readings?.listGroups() ?? []) {
        const id = group.config.id;
        const sum = group.members.reduce((n, m) => n + m.duplicates, 0);
        const total = this.#fold.fold(`duplicates:${id}`, sum);
        result.observe(duplicates, total, { [Attr.GROUP]: id });
      }
      for (const source of this.#readings?.listUpstreamSubscriptions?.() ??
        []) {
        const counts = new Map(UPSTREAM_STATES.map((s) => [s, 0]));
        for (const { state } of source.subscriptions) {
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        for (const [s, count] of counts) {
          const attributes = { [Attr.SOURCE]: source.source, [Attr.STATE]: s };
          result.observe(upstream, count, attributes);
        }
      }
    }, observables);
  }

  #observeClients(meter: Meter): void {
    const counter = (name: string, unit: string, description: string) =>
      meter.createObservableCounter(name, { unit, description });
    const sessions = meter.createObservableUpDownCounter(
      "tributary.client.sessions",
      { unit: "{session}", description: "Client sessions connected now" },
    );
    const delivered = counter(
      "tributary.messages.delivered",
      "{message}",
      "Messages written to clients",
    );
    const dropped = counter(
      "tributary.messages.dropped",
      "{message}",
      "Messages clients did not get, by reason: slow-consumer (dropped " +
        "by a session queue), missing-upstream (no source delivered them)",
    );
    const gaps = counter(
      "tributary.gaps",
      "{gap}",
      "Gap notices announced to clients",
    );
    const resets = counter(
      "tributary.topic.resets",
      "{reset}",
      "Topic sequence histories started over",
    );
    const failovers = counter(
      "tributary.group.failovers",
      "{failover}",
      "Changes of a group's active member",
    );
    meter.addBatchObservableCallback(
      (result) => {
        const drops = new Map(this.#missing);
        const gapCounts = new Map(this.#gaps);
        for (const [transport, totals] of this.#clients.byTransport()) {
          const attributes = this.#transportAttributes[transport];
          result.observe(sessions, totals.sessions, attributes);
          result.observe(delivered, totals.delivered, attributes);
          increment(drops, SLOW_CONSUMER, totals.dropped);
          increment(gapCounts, SLOW_CONSUMER, totals.gaps);
        }
        observeEach(result, dropped, drops, Attr.REASON);
        observeEach(result, gaps, gapCounts, Attr.REASON);
        observeEach(result, resets, this.#resets, Attr.REASON);
        observeEach(result, failovers, this.#failovers, Attr.GROUP);
      },
      [sessions, delivered, dropped, gaps, resets, failovers],
    );
  }
}

function increment(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function observeEach(
  result: BatchObservableResult,
  instrument: ObservableCounter,
  values: ReadonlyMap<string, number>,
  key: string,
): void {
  for (const [value, count] of values) {
    result.observe(instrument, count, { [key]: value });
  }
}

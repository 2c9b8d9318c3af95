import { register } from "node:module";
import { context, propagation, trace } from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** The service name when neither option nor environment names one. */
export const DEFAULT_SERVICE_NAME = "tributary";

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /**
   * `service.name` of every span. Default: `OTEL_SERVICE_NAME` (or a
   * `service.name` in `OTEL_RESOURCE_ATTRIBUTES`), else `tributary`.
   */
  readonly serviceName?: string;
  /**
   * Where finished spans go, replacing what the environment says: tests
   * pass a `SimpleSpanProcessor` around an `InMemorySpanExporter`.
   */
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * Traces gRPC calls through `@opentelemetry/instrumentation-grpc`;
   * default true. Only works when tracing starts before anything imports
   * `@grpc/grpc-js` (see {@link startTracing}).
   */
  readonly instrumentGrpc?: boolean;
}

/** Where spans are exported, as {@link startTracing} decided. */
export type TraceExport =
  /** `spanProcessors` were given. */
  | "custom"
  /** The SDK follows `OTEL_TRACES_EXPORTER` and `OTEL_EXPORTER_OTLP_*`. */
  | "environment"
  /** Spans exist (trace ids in logs, propagation) but go nowhere. */
  | "none";

/** A running tracing SDK. */
export interface Tracing {
  readonly export: TraceExport;
  readonly serviceName: string;
  /**
   * Exports what is buffered, then unregisters the SDK so that
   * {@link startTracing} may run again. Call it before the process exits,
   * or the last batch of spans is lost.
   */
  shutdown(): Promise<void>;
}

let grpcHookRegistered = false;

/** The SDK started by {@link startTracing}, until it is shut down. */
let running: Tracing | undefined;

/**
 * Starts the OpenTelemetry Node SDK and registers it globally, so that
 * `trace.getTracer()` anywhere returns its tracers.
 *
 * Export follows the standard variables: with `OTEL_TRACES_EXPORTER`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * set, the SDK builds its exporters from them (OTLP over HTTP, protobuf
 * unless `OTEL_EXPORTER_OTLP_PROTOCOL` says otherwise); with none of them
 * set, spans are still made, so logs carry trace ids and incoming trace
 * context is continued, but nothing is exported. Metrics and logs are not
 * exported through the SDK: metrics are served on `/metrics`.
 *
 * gRPC instrumentation patches `@grpc/grpc-js` as it is imported, through
 * an ESM loader hook limited to that package. So call this before
 * importing anything that imports grpc-js: first thing in the entry
 * point, then import the rest dynamically.
 *
 * The SDK is loaded here rather than when this module is, since loading
 * it takes about a second and most importers only want a logger.
 *
 * @throws Error when tracing runs already (shut it down first).
 */
export async function startTracing(
  options: TracingOptions = {},
): Promise<Tracing> {
  // The SDK reads process.env itself; we read it for the same decisions.
  if (running !== undefined) throw new Error("tracing is already started");
  const env = process.env;
  const serviceName = options.serviceName ?? serviceNameFrom(env);
  const instrumentGrpc = options.instrumentGrpc ?? true;
  if (instrumentGrpc) registerGrpcHook();

  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const instrumentations = instrumentGrpc ? [await grpcInstrumentation()] : [];
  const exportMode = exportModeOf(options, env);
  const sdk = new NodeSDK({
    serviceName,
    instrumentations,
    spanProcessors: await spanProcessorsFor(exportMode, options.spanProcessors),
    // Our metrics are pulled from /metrics; the SDK would otherwise push
    // metrics and logs to an OTLP endpoint on localhost by default.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const tracing: Tracing = {
    export: exportMode,
    serviceName,
    shutdown: async () => {
      if (running !== tracing) return;
      running = undefined;
      await sdk.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  running = tracing;
  return tracing;
}

/**
 * Shuts down the tracing that {@link startTracing} started, if any: for
 * a shutdown path that has no handle on it, such as a signal handler.
 */
export function shutdownTracing(): Promise<void> {
  return running?.shutdown() ?? Promise.resolve();
}

function exportModeOf(
  options: TracingOptions,
  env: Readonly<Record<string, string | undefined>>,
): TraceExport {
  if (options.spanProcessors !== undefined) return "custom";
  const configured = [
    env.OTEL_TRACES_EXPORTER,
    env.OTEL_EXPORTER_OTLP_ENDPOINT,
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  ].some((value) => value !== undefined && value.trim() !== "");
  return configured ? "environment" : "none";
}

/** undefined lets the SDK build processors from the environment. */
async function spanProcessorsFor(
  mode: TraceExport,
  custom: readonly SpanProcessor[] | undefined,
): Promise<SpanProcessor[] | undefined> {
  switch (mode) {
    case "custom":
      return [...(custom ?? [])];
    case "environment":
      return undefined;
    case "none": {
      // One processor, so that the SDK still registers a tracer provider.
      const { NoopSpanProcessor } = await import(
        "@opentelemetry/sdk-trace-base"
      );
      return [new NoopSpanProcessor()];
    }
  }
}

async function grpcInstrumentation() {
  const { GrpcInstrumentation } = await import(
    "@opentelemetry/instrumentation-grpc"
  );
  return new GrpcInstrumentation();
}

function serviceNameFrom(
  env: Readonly<Record<string, string | undefined>>,
): string {
  const fromVariable = env.OTEL_SERVICE_NAME?.trim();
  if (fromVariable) return fromVariable;
  const attributes = env.OTEL_RESOURCE_ATTRIBUTES ?? "";
  const match = /(?:^|,)\s*service\.name\s*=\s*([^,]+)/.exec(attributes);
  return match?.[1]?.trim() || DEFAULT_SERVICE_NAME;
}

/**
 * An ESM import is not seen by require hooks, so grpc-js imported from our
 * ESM code would stay unpatched. import-in-the-middle's loader hook, which
 * the instrumentation package ships, wraps it; `include` keeps every
 * other module out of the hook.
 */
function registerGrpcHook(): void {
  if (grpcHookRegistered) return;
  grpcHookRegistered = true;
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url, {
    data: { include: ["@grpc/grpc-js"] },
  });
}

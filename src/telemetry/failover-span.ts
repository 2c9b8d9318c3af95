import {
  context,
  type SpanContext,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Attr } from "./attributes.js";
import { TRACER_NAME } from "./source-spans.js";

/** A failover as the pipeline reports it (`FailoverEvent`). */
export interface FailoverLike {
  readonly group: string;
  /** The member that was active; absent when none was. */
  readonly from?: string;
  /** The member that is active now; absent when none is healthy. */
  readonly to?: string;
  readonly reason: string;
  /** When it happened, ms since the Unix epoch. */
  readonly at: number;
}

/**
 * Records one failover as a `group.failover` span: a moment, not a
 * duration, so it starts and ends at `event.at`. It is a child of the
 * span active at the call, so a failover forced through the control
 * plane sits under that control call. Call it from
 * `TopologyHooks.onFailover`.
 *
 * @returns the span's context, for tests and links.
 */
export function recordFailover(
  event: FailoverLike,
  tracer: Tracer = trace.getTracer(TRACER_NAME),
): SpanContext {
  const attributes: Record<string, string> = {
    [Attr.GROUP]: event.group,
    [Attr.REASON]: event.reason,
  };
  if (event.from !== undefined) attributes[Attr.FAILOVER_FROM] = event.from;
  if (event.to !== undefined) attributes[Attr.FAILOVER_TO] = event.to;
  const span = tracer.startSpan(
    "group.failover",
    { kind: SpanKind.INTERNAL, startTime: event.at, attributes },
    context.active(),
  );
  span.end(Math.max(event.at, Date.now()));
  return span.spanContext();
}

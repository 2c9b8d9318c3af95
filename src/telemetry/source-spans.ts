import {
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Attr } from "./attributes.js";

/** The name of the tracer behind the gateway's own spans. */
export const TRACER_NAME = "tributary";

/** The parts of a source's health state that the spans read. */
export interface HealthLike {
  readonly state: string;
  readonly reason: string;
  /** Delay of the scheduled retry in ms, on `down`. */
  readonly retryInMs?: number;
}

/** How a connect attempt ended. */
export type ConnectOutcome = "connected" | "failed" | "cancelled";

interface Attempts {
  count: number;
  /** The previous attempt's span, linked from the next one. */
  last: SpanContext | undefined;
}

/**
 * Turns a source's health transitions into one `source.connect` span per
 * connect attempt: opened on `connecting`, ended on `up` (connected),
 * `down` (failed, with the reason and the retry delay) or when the source
 * is stopped or paused (cancelled).
 *
 * The first attempt is a child of whatever span is active when it starts,
 * such as the control call that added the source. Retries start their own
 * trace with a link to the attempt before: a source that retries all night
 * would otherwise grow one endless trace.
 */
export class SourceConnectSpans {
  readonly #tracer: Tracer;
  readonly #open = new Map<string, Span>();
  readonly #attempts = new Map<string, Attempts>();

  /** `tracer` defaults to the global provider's `tributary` tracer. */
  constructor(tracer?: Tracer) {
    this.#tracer = tracer ?? trace.getTracer(TRACER_NAME);
  }

  /**
   * Takes a source's new health state; `url` is logged without its
   * credentials and query. Call it from `TopologyHooks.onHealth`.
   */
  observe(source: string, url: string, to: HealthLike): void {
    switch (to.state) {
      case "connecting":
        this.#end(source, "cancelled", "superseded by a new attempt");
        this.#start(source, url);
        return;
      case "up":
        this.#end(source, "connected", to.reason);
        this.#attempts.delete(source);
        return;
      case "down": {
        // SourceConnection ends in `down` "stopped" when it is stopped.
        const stopped = to.retryInMs === undefined && to.reason === "stopped";
        this.#end(source, stopped ? "cancelled" : "failed", to.reason, to);
        if (stopped) this.#attempts.delete(source);
        return;
      }
      case "paused":
        this.#end(source, "cancelled", to.reason);
        this.#attempts.delete(source);
        return;
    }
  }

  /** Ends every open attempt as cancelled, e.g. at shutdown. */
  close(): void {
    for (const source of [...this.#open.keys()]) {
      this.#end(source, "cancelled", "gateway stopped");
    }
    this.#attempts.clear();
  }

  #start(source: string, url: string): void {
    const attempts = this.#attempts.get(source) ?? {
      count: 0,
      last: undefined,
    };
    attempts.count += 1;
    const links: Link[] =
      attempts.last === undefined ? [] : [{ context: attempts.last }];
    const parent = attempts.count === 1 ? context.active() : ROOT_CONTEXT;
    const span = this.#tracer.startSpan(
      "source.connect",
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          [Attr.SOURCE]: source,
          [Attr.URL]: redactUrl(url),
          [Attr.CONNECT_ATTEMPT]: attempts.count,
        },
      },
      parent,
    );
    attempts.last = span.spanContext();
    this.#attempts.set(source, attempts);
    this.#open.set(source, span);
  }

  #end(
    source: string,
    outcome: ConnectOutcome,
    reason: string,
    down?: HealthLike,
  ): void {
    const span = this.#open.get(source);
    if (span === undefined) return;
    this.#open.delete(source);
    span.setAttribute(Attr.CONNECT_OUTCOME, outcome);
    span.setAttribute(Attr.REASON, reason);
    if (down?.retryInMs !== undefined) {
      span.setAttribute("tributary.connect.retry_in_ms", down.retryInMs);
    }
    if (outcome === "failed") {
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    }
    span.end();
  }
}

/**
 * The URL as a span shows it: credentials and query strings often carry
 * API keys, so both are left out.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(invalid url)";
  }
}

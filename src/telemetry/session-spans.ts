import {
  type Context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Attr } from "./attributes.js";
import { TRACER_NAME } from "./source-spans.js";

/** How a client reaches the gateway. */
export type TransportName = "websocket" | "grpc";

/** The parts of a client session the telemetry reads (a `WsSession`). */
export interface ObservedSession {
  readonly id: string;
  /** `host:port` of the peer. */
  readonly remoteAddress: string;
  /** The negotiated subprotocol; absent or "" when there is none. */
  readonly protocol?: string;
  /** The patterns held now. */
  readonly patterns: ReadonlySet<string>;
  /** Live queue counters of the session. */
  readonly delivery: Readonly<DeliveryCounts>;
}

/** Per-session counters that metrics add up (`SessionQueueStats`). */
export interface DeliveryCounts {
  readonly delivered: number;
  readonly dropped: number;
  /** Gap notices the queue produced for what it dropped. */
  readonly gaps: number;
}

/** What a session span needs to know about the end of a session. */
export interface SessionEnd {
  /** The WebSocket close code; absent for gRPC. */
  readonly code?: number;
  readonly reason?: string;
}

/** WebSocket close code of an error inside the server. */
const INTERNAL_ERROR = 1011;

interface OpenSession {
  readonly session: ObservedSession;
  readonly transport: TransportName;
  /** `performance.now()` when the session opened. */
  readonly openedAt: number;
  /** The trace the span continues; ROOT_CONTEXT for a trace of its own. */
  readonly parent: Context;
  /**
   * Every pattern seen held, since patterns are gone by close time; made
   * when there is a first one to keep.
   */
  patterns: Set<string> | undefined;
}

/**
 * One `client.session` span per client session, from connect to close,
 * with the peer address, subprotocol, every pattern subscribed and the
 * close code. A session span starts its own trace: the HTTP upgrade is not
 * traced, so the only parent it can have is a `traceparent` header the
 * client sent with the upgrade request.
 *
 * The span is only started when the session closes, with the connect
 * time as its start: nothing reads it before then, and an SDK span held
 * open by every idle client would cost each about a kilobyte. Exporters
 * therefore see a session span only once it has ended, as they would
 * anyway, and span processors are told of its start at the same moment.
 */
export class SessionSpans {
  readonly #tracer: Tracer;
  readonly #open = new Map<string, OpenSession>();

  /** `tracer` defaults to the global provider's `tributary` tracer. */
  constructor(tracer?: Tracer) {
    this.#tracer = tracer ?? trace.getTracer(TRACER_NAME);
  }

  /**
   * Notes a session that just connected. `headers` are the upgrade
   * request's; a W3C `traceparent` among them becomes the parent.
   */
  opened(
    session: ObservedSession,
    transport: TransportName,
    headers?: Readonly<Record<string, string | string[] | undefined>>,
  ): void {
    const parent =
      headers === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, headers);
    const patterns =
      session.patterns.size > 0 ? new Set(session.patterns) : undefined;
    const openedAt = performance.now();
    this.#open.set(session.id, {
      session,
      transport,
      openedAt,
      parent,
      patterns,
    });
  }

  /**
   * Notes patterns a session subscribed to. Optional: {@link closed} also
   * reads the session's patterns, but a WsSession has already let go of
   * them by the time its close is reported.
   */
  subscribed(sessionId: string, patterns: Iterable<string>): void {
    const open = this.#open.get(sessionId);
    if (open === undefined) return;
    open.patterns ??= new Set();
    for (const pattern of patterns) open.patterns.add(pattern);
  }

  /** Records a session's span, start to end; unknown ids are ignored. */
  closed(sessionId: string, end: SessionEnd = {}): void {
    const open = this.#open.get(sessionId);
    if (open === undefined) return;
    this.#open.delete(sessionId);
    const { session, openedAt, parent } = open;
    const patterns = new Set(open.patterns);
    for (const pattern of session.patterns) patterns.add(pattern);
    // Wall-clock ends a monotonic duration apart, as the SDK stamps a span
    // it times itself. Both are given: the SDK would end a span whose
    // start was given on the wall clock alone.
    const endTime = Date.now();
    const startTime = endTime - (performance.now() - openedAt);

    const span = this.#tracer.startSpan(
      "client.session",
      { kind: SpanKind.SERVER, startTime, attributes: openingOf(open) },
      parent,
    );
    span.setAttribute(Attr.SUBSCRIPTIONS, [...patterns].sort());
    span.setAttribute(Attr.DELIVERED, session.delivery.delivered);
    span.setAttribute(Attr.DROPPED, session.delivery.dropped);
    if (end.code !== undefined) span.setAttribute(Attr.CLOSE_CODE, end.code);
    if (end.reason) span.setAttribute(Attr.REASON, end.reason);
    if (end.code === INTERNAL_ERROR) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: end.reason });
    }
    span.end(endTime);
  }

  /** Records the span of every session still open, e.g. at shutdown. */
  close(): void {
    for (const id of [...this.#open.keys()]) {
      this.closed(id, { reason: "gateway stopped" });
    }
  }
}

/** The attributes a session has from its connect on. */
function openingOf(open: OpenSession): Record<string, string | number> {
  const { session, transport } = open;
  const { address, port } = splitAddress(session.remoteAddress);
  const attributes: Record<string, string | number> = {
    [Attr.CLIENT_ID]: session.id,
    [Attr.TRANSPORT]: transport,
    [Attr.CLIENT_ADDRESS]: address,
  };
  if (port !== undefined) attributes[Attr.CLIENT_PORT] = port;
  if (session.protocol) attributes[Attr.SUBPROTOCOL] = session.protocol;
  return attributes;
}

/** Splits `host:port`, IPv6 hosts included (`::1:5000`). */
export function splitAddress(remote: string): {
  address: string;
  port?: number;
} {
  const colon = remote.lastIndexOf(":");
  const port = Number(remote.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || remote.endsWith(":")) {
    return { address: remote };
  }
  return { address: remote.slice(0, colon), port };
}

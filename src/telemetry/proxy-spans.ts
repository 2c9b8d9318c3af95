import {
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Attr } from "./attributes.js";
import { splitAddress } from "./session-spans.js";
import { TRACER_NAME } from "./source-spans.js";

/** A proxied session as `ProxySessionView` gives it. */
export interface ProxySessionLike {
  readonly id: string;
  readonly pool: string;
  /** The current backend; absent while moving or once closed. */
  readonly backend?: string;
  /** `host:port` of the client. */
  readonly remote: string;
  readonly moves: number;
}

/** A proxied session changing, as `ProxyGatewayOptions.onSessionChange`. */
export interface ProxyChangeLike {
  readonly type: "open" | "move" | "close";
  readonly session: ProxySessionLike;
  /** On close: the WebSocket close code. */
  readonly code?: number;
}

/**
 * One `proxy.session` span per proxied client session, from open to
 * close, with the pool, the backend (the last one, after moves), the
 * number of moves and the close code; each move is a `proxy.move` event
 * naming the backend moved to. A session span starts its own trace.
 */
export class ProxySpans {
  readonly #tracer: Tracer;
  readonly #open = new Map<string, Span>();

  /** `tracer` defaults to the global provider's `tributary` tracer. */
  constructor(tracer?: Tracer) {
    this.#tracer = tracer ?? trace.getTracer(TRACER_NAME);
  }

  /** Spans open now, for tests and shutdown. */
  get size(): number {
    return this.#open.size;
  }

  /** Starts, annotates or ends the span of `change.session`. */
  observe(change: ProxyChangeLike): void {
    const { session } = change;
    if (change.type === "open") {
      this.#opened(session);
      return;
    }
    const span = this.#open.get(session.id);
    if (span === undefined) return;
    span.setAttribute(Attr.MOVES, session.moves);
    if (change.type === "move") {
      if (session.backend !== undefined) {
        span.setAttribute(Attr.BACKEND, session.backend);
        span.addEvent("proxy.move", { [Attr.BACKEND]: session.backend });
      }
      return;
    }
    this.#open.delete(session.id);
    if (change.code !== undefined) {
      span.setAttribute(Attr.CLOSE_CODE, change.code);
    }
    span.end();
  }

  /** Ends every open span: the proxy is going away. */
  close(): void {
    for (const span of this.#open.values()) span.end();
    this.#open.clear();
  }

  #opened(session: ProxySessionLike): void {
    const { address, port } = splitAddress(session.remote);
    const span = this.#tracer.startSpan(
      "proxy.session",
      {
        kind: SpanKind.SERVER,
        attributes: {
          [Attr.POOL]: session.pool,
          [Attr.CLIENT_ID]: session.id,
          [Attr.CLIENT_ADDRESS]: address,
          ...(port === undefined ? {} : { [Attr.CLIENT_PORT]: port }),
          ...(session.backend === undefined
            ? {}
            : { [Attr.BACKEND]: session.backend }),
          [Attr.MOVES]: session.moves,
        },
      },
      // A root span: nothing traced led to the upgrade.
      ROOT_CONTEXT,
    );
    this.#open.set(session.id, span);
  }
}

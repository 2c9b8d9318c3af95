import type {
  DeliveryCounts,
  ObservedSession,
  TransportName,
} from "./session-spans.js";

/** What the clients of one transport add up to. */
export interface TransportTotals {
  /** Sessions connected now. */
  sessions: number;
  /** Messages delivered, by sessions open now and closed before. */
  delivered: number;
  /** Messages dropped by slow-consumer queues, likewise. */
  dropped: number;
  /** Gap notices those drops produced, likewise. */
  gaps: number;
}

/** Every transport, so that each one has a series even at 0. */
export const TRANSPORTS: readonly TransportName[] = ["websocket", "grpc"];

/**
 * Adds up the delivery counters of client sessions. Open sessions are read
 * live from their queues; a session that closes leaves its final counts
 * behind, so the totals never go down when clients leave.
 */
export class ClientTotals {
  readonly #open = new Map<
    string,
    { session: ObservedSession; transport: TransportName }
  >();
  readonly #closed = new Map<TransportName, DeliveryCounts>();

  /** A session connected. */
  opened(session: ObservedSession, transport: TransportName): void {
    this.#open.set(session.id, { session, transport });
  }

  /** A session closed; unknown ids are ignored. */
  closed(sessionId: string): void {
    const open = this.#open.get(sessionId);
    if (open === undefined) return;
    this.#open.delete(sessionId);
    const before = this.#closed.get(open.transport) ?? zero();
    this.#closed.set(open.transport, add(before, open.session.delivery));
  }

  /** The totals of every transport, computed now. */
  byTransport(): Map<TransportName, TransportTotals> {
    const totals = new Map<TransportName, TransportTotals>();
    for (const transport of TRANSPORTS) {
      const closed = this.#closed.get(transport) ?? zero();
      totals.set(transport, { sessions: 0, ...closed });
    }
    for (const { session, transport } of this.#open.values()) {
      const entry = totals.get(transport);
      if (entry === undefined) continue;
      entry.sessions += 1;
      entry.delivered += session.delivery.delivered;
      entry.dropped += session.delivery.dropped;
      entry.gaps += session.delivery.gaps;
    }
    return totals;
  }
}

function zero(): DeliveryCounts {
  return { delivered: 0, dropped: 0, gaps: 0 };
}

function add(a: DeliveryCounts, b: Readonly<DeliveryCounts>): DeliveryCounts {
  return {
    delivered: a.delivered + b.delivered,
    dropped: a.dropped + b.dropped,
    gaps: a.gaps + b.gaps,
  };
}

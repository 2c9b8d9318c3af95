/**
 * Attribute keys of the gateway's spans and metrics. Standard OpenTelemetry
 * keys where one fits (`url.full`, `client.address`, `error.type`); the
 * rest live under `tributary.`, shared by spans and metrics so that a
 * query can join them.
 */
export const Attr = {
  /** A source's id from config. */
  SOURCE: "tributary.source.id",
  /** A group's id; a source's own id for a group of one. */
  GROUP: "tributary.group.id",
  /** The upstream URL without credentials or query (semantic convention). */
  URL: "url.full",
  /** Connect attempts since the source was last up, from 1. */
  CONNECT_ATTEMPT: "tributary.connect.attempt",
  /** `connected`, `failed` or `cancelled`. */
  CONNECT_OUTCOME: "tributary.connect.outcome",
  /**
   * Why: a failed connect or a failover (for people), or a drop or gap
   * (a stable code such as `slow-consumer`).
   */
  REASON: "tributary.reason",
  /** The member that was active before a failover. */
  FAILOVER_FROM: "tributary.failover.from",
  /** The member that is active after a failover. */
  FAILOVER_TO: "tributary.failover.to",
  /** A client session's id, such as `ws-7`. */
  CLIENT_ID: "tributary.client.id",
  /** The client's IP address (semantic convention). */
  CLIENT_ADDRESS: "client.address",
  /** The client's port (semantic convention). */
  CLIENT_PORT: "client.port",
  /** `websocket` or `grpc`. */
  TRANSPORT: "tributary.transport",
  /** The negotiated WebSocket subprotocol. */
  SUBPROTOCOL: "tributary.client.subprotocol",
  /** Every pattern the session subscribed to, sorted. */
  SUBSCRIPTIONS: "tributary.client.subscriptions",
  /** The WebSocket close code the session ended with. */
  CLOSE_CODE: "tributary.client.close_code",
  /** Messages delivered to the session. */
  DELIVERED: "tributary.client.delivered",
  /** Messages the session's queue dropped. */
  DROPPED: "tributary.client.dropped",
  /** A source's health state, on `tributary.source.state`. */
  STATE: "tributary.source.state",
  /** A proxy pool's id. */
  POOL: "tributary.proxy.pool",
  /** A proxy backend's id within its pool. */
  BACKEND: "tributary.proxy.backend",
  /** Times a proxied session changed backends. */
  MOVES: "tributary.proxy.moves",
  /** A proxy backend's health: `healthy`, `unhealthy` or `ejected`. */
  BACKEND_HEALTH: "tributary.proxy.backend.health",
  /** Which way proxied bytes went: `to_backend` or `to_client`. */
  DIRECTION: "tributary.proxy.direction",
} as const;

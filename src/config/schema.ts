import { z } from "zod";
import { codecSchema } from "../codecs/codec-schema.js";
import { poolSchema } from "../proxy/pool-schema.js";
import { onDemandSchema } from "../sources/on-demand-schema.js";
import { idSchema, outgoingFrameSchema, wsUrlSchema } from "./primitives.js";

const id = idSchema;
const wsUrl = wsUrlSchema;

const outgoingFrame = outgoingFrameSchema;

const heartbeatSchema = z.discriminatedUnion("type", [
  z.strictObject({
    /** A WebSocket ping every intervalMs; a missing pong marks it stale. */
    type: z.literal("ping"),
    intervalMs: z.number().int().positive().default(10_000),
  }),
  z.strictObject({
    /** An application frame every intervalMs (for feeds that want one). */
    type: z.literal("frame"),
    intervalMs: z.number().int().positive().default(10_000),
    frame: outgoingFrame,
  }),
  z.strictObject({ type: z.literal("none") }),
]);

const reconnectSchema = z
  .strictObject({
    initialDelayMs: z.number().int().positive().default(250),
    maxDelayMs: z.number().int().positive().default(30_000),
    multiplier: z.number().min(1).default(2),
  })
  .refine((r) => r.maxDelayMs >= r.initialDelayMs, {
    message: "maxDelayMs must be at least initialDelayMs",
    path: ["maxDelayMs"],
  });

export const sourceSchema = z.strictObject({
  id,
  url: wsUrl,
  headers: z.record(z.string(), z.string()).default({}),
  /** Frames sent after every connect, in order. */
  subscribe: z.array(outgoingFrame).default([]),
  heartbeat: heartbeatSchema.default({ type: "ping", intervalMs: 10_000 }),
  /** The source is stale after this long without any frame; 0 disables. */
  staleAfterMs: z.number().int().nonnegative().default(0),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  reconnect: reconnectSchema.default({
    initialDelayMs: 250,
    maxDelayMs: 30_000,
    multiplier: 2,
  }),
  codec: codecSchema,
  /**
   * Subscriptions made on demand: rules that turn a topic some client
   * wants into the upstream's own subscribe and unsubscribe frames.
   */
  onDemand: onDemandSchema.optional(),
});

const groupMember = z.union([
  id,
  z.strictObject({ id, priority: z.number().int().optional() }),
]);

/** V8 cannot hold more keys than this in one Set. */
const MAX_DEDUPE_WINDOW = 2 ** 24;

const dedupeWindow = z.number().int().positive().max(MAX_DEDUPE_WINDOW);

const dedupeSchema = z.discriminatedUnion("by", [
  z.strictObject({
    by: z.literal("id"),
    /** How many recent ids are remembered per group. */
    window: dedupeWindow.default(10_000),
  }),
  z.strictObject({
    by: z.literal("seq"),
    /**
     * How long a higher sequence is held while a missing one may still
     * arrive from another member, before a gap is announced.
     */
    gapWaitMs: z.number().int().nonnegative().default(50),
  }),
  z.strictObject({
    by: z.literal("content"),
    window: dedupeWindow.default(10_000),
    /** Hash only these top-level payload fields; default the whole payload. */
    fields: z.array(z.string().min(1)).optional(),
  }),
  z.strictObject({ by: z.literal("none") }),
]);

const failbackSchema = z.discriminatedUnion("mode", [
  z.strictObject({
    /** Return to the preferred source once it has been healthy this long. */
    mode: z.literal("auto"),
    holdDownMs: z.number().int().nonnegative().default(10_000),
  }),
  /** Stay on the current source until it fails or an operator switches. */
  z.strictObject({ mode: z.literal("manual") }),
]);

export const groupSchema = z.strictObject({
  id,
  mode: z.enum(["active-active", "active-standby"]).default("active-active"),
  /**
   * Members; a bare id or `{id, priority}`. A higher priority is preferred;
   * without priorities, earlier members are preferred.
   */
  sources: z.array(groupMember).min(1),
  dedupe: dedupeSchema.default({ by: "none" }),
  failback: failbackSchema.default({ mode: "auto", holdDownMs: 10_000 }),
  /**
   * With active-standby: the active source also counts as failed when no
   * message arrived from it for this long. Off by default, so a quiet
   * market does not cause failover churn.
   */
  dataDeadlineMs: z.number().int().positive().optional(),
  /**
   * With active-standby: what each standby keeps of its recent messages,
   * replayed through dedupe on a switch so that what the failed source
   * missed while it was being declared down is not lost. The age default
   * covers the slowest member's detection time (two ping intervals, or
   * staleAfterMs) plus a second.
   */
  standbyBuffer: z
    .strictObject({
      maxMessages: z.number().int().positive().default(50_000),
      maxAgeMs: z.number().int().positive().optional(),
    })
    .optional(),
});

const port = z.number().int().min(0).max(65_535);

const tlsSchema = z.strictObject({
  /** PEM certificate chain of the gRPC server. */
  certFile: z.string().min(1),
  /** PEM private key of the gRPC server. */
  keyFile: z.string().min(1),
  /** PEM CA bundle; when set, clients must present a certificate it signed. */
  clientCaFile: z.string().min(1).optional(),
});

export const serverSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  /** HTTP and client WebSocket port. */
  port: port.default(8080),
  /** gRPC port (ControlService, StreamService, health, reflection). */
  grpcPort: port.default(50051),
  /** Serve gRPC over TLS (and mutual TLS with clientCaFile). */
  grpcTls: tlsSchema.optional(),
});

const tokenSchema = z.strictObject({
  /** The bearer token itself; at least 16 characters. */
  token: z.string().min(16, "a token has at least 16 characters"),
  /** `read` may call List/Get/Watch; `admin` may change things too. */
  role: z.enum(["read", "admin"]),
  /** A name for logs; the token itself is never logged. */
  name: z.string().min(1).optional(),
});

export const authSchema = z.strictObject({
  control: z
    .strictObject({ tokens: z.array(tokenSchema).default([]) })
    .default({ tokens: [] }),
});

export const limitsSchema = z.strictObject({
  /** Largest client frame accepted; larger ones close the session (1009). */
  maxClientFrameBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  /** Largest upstream frame accepted; larger ones drop the connection. */
  maxSourceFrameBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Patterns one session may hold at once. */
  maxSubscriptionsPerSession: z.number().int().positive().default(1_000),
  /**
   * Payload bytes a session may queue while its client is behind; past it
   * the slow-consumer policy applies.
   */
  maxSessionBufferedBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  /** Messages a session may queue while its client is behind. */
  maxSessionQueueMessages: z.number().int().positive().default(10_000),
  /**
   * Frames written to one client in one event-loop turn are merged into
   * one socket write, up to this many; 0 writes every frame at once.
   */
  maxFramesPerWrite: z.number().int().nonnegative().default(16),
  /**
   * How long a frame may wait for others to join its write, in ms: 0
   * merges only what one event-loop turn wrote; 1 or 2 also merges a
   * burst that arrived upstream in several reads. Adds at most this much
   * latency.
   */
  writeWindowMs: z.number().int().min(0).max(50).default(1),
  /**
   * `drop-oldest` (announced with gaps), `conflate` (latest per topic and
   * key, then drop-oldest) or `disconnect` (close 1008).
   */
  slowConsumerPolicy: z
    .enum(["drop-oldest", "conflate", "disconnect"])
    .default("drop-oldest"),
  /**
   * Messages under `drop-oldest` that a stalled client's queue keeps, the
   * newest: once a client is found stalled, older ones are dropped (with
   * gaps) as new ones come, rather than when its whole queue has filled,
   * which at a low rate can take minutes. 0 keeps none: the client reads
   * a gap for what it missed, then the live stream.
   */
  stalledQueueMessages: z.number().int().nonnegative().default(0),
  /**
   * Every WebSocket client that was sent something since its last ping is
   * pinged this often, once that ping was answered (one with no traffic
   * is not pinged; TCP keepalive watches it); 0 sends no pings and
   * detects no stalls. A client that stops reading answers none, long before the
   * kernel's socket buffers (several MiB) fill and its queue grows.
   */
  clientPingIntervalMs: z.number().int().nonnegative().default(2_000),
  /**
   * A client whose ping got no pong for this long, or a gRPC stream that
   * took no response for this long while some waited, is stalled: with
   * `disconnect` it is closed (1008, RESOURCE_EXHAUSTED); otherwise it is
   * written nothing more and its queue's policy acts at once (see
   * `stalledQueueMessages`) until it reads again. Pings are judged
   * on the ping interval's beat, so a client that stops reading is found
   * within the interval plus this rounded up to whole intervals: 4 s with
   * the defaults.
   */
  stallTimeoutMs: z.number().int().positive().default(2_000),
  /**
   * permessage-deflate for client WebSockets: off (`false`, the default),
   * or bounded settings. A compressing session is framed and compressed
   * per client by ws, without the shared frames and merged writes the
   * others get, so it costs far more CPU per message; use it for clients
   * on thin links, not for a fan-out on a LAN.
   */
  perMessageDeflate: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Frames smaller than this many bytes go uncompressed. */
        threshold: z.number().int().nonnegative().default(1024),
        /** zlib level: 1 is fastest. */
        level: z.number().int().min(1).max(9).default(1),
        /** zlib memory per compressing context, 1 (least) to 9. */
        memLevel: z.number().int().min(1).max(9).default(4),
        /** Largest LZ77 window the gateway uses, 9 to 15 bits. */
        maxWindowBits: z.number().int().min(9).max(15).default(12),
        /** Compressions running at once, across all clients. */
        concurrency: z.number().int().positive().default(4),
      }),
    ])
    .default(false),
  /** Messages kept per topic for resuming clients. */
  historyMessages: z.number().int().nonnegative().default(1_000),
  /** Oldest message kept per topic for resuming clients. */
  historyMaxAgeMs: z.number().int().nonnegative().default(300_000),
});

export const configSchema = z.strictObject({
  server: serverSchema.default({
    host: "127.0.0.1",
    port: 8080,
    grpcPort: 50051,
  }),
  sources: z.array(sourceSchema).default([]),
  groups: z.array(groupSchema).default([]),
  limits: limitsSchema.default({
    maxClientFrameBytes: 64 * 1024,
    maxSourceFrameBytes: 16 * 1024 * 1024,
    maxSubscriptionsPerSession: 1_000,
    maxSessionBufferedBytes: 8 * 1024 * 1024,
    maxSessionQueueMessages: 10_000,
    maxFramesPerWrite: 16,
    writeWindowMs: 1,
    slowConsumerPolicy: "drop-oldest",
    stalledQueueMessages: 0,
    clientPingIntervalMs: 2_000,
    stallTimeoutMs: 2_000,
    perMessageDeflate: false,
    historyMessages: 1_000,
    historyMaxAgeMs: 300_000,
  }),
  auth: authSchema.default({ control: { tokens: [] } }),
  /** WebSocket proxy pools, each on its own client path. */
  pools: z.array(poolSchema).default([]),
});

export type Config = z.infer<typeof configSchema>;
export type ServerConfig = Config["server"];
export type AuthConfig = Config["auth"];
export type PoolsConfig = Config["pools"];
export type SourceConfig = z.infer<typeof sourceSchema>;
export type GroupConfig = z.infer<typeof groupSchema>;
export type DedupeConfig = GroupConfig["dedupe"];
export type HeartbeatConfig = SourceConfig["heartbeat"];
export type ReconnectConfig = SourceConfig["reconnect"];
export type LimitsConfig = Config["limits"];
export type DeflateConfig = LimitsConfig["perMessageDeflate"];
export type FailbackConfig = GroupConfig["failback"];
export type OutgoingFrame = z.infer<typeof outgoingFrame>;
export type OnDemandConfig = z.infer<typeof onDemandSchema>;

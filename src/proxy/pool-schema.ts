import { z } from "zod";
import { idSchema, wsUrlSchema } from "../config/primitives.js";

/*
 * The `pools` section of the config file. The top-level config adds
 * `pools: z.array(poolSchema).default([])` and checks that pool ids and
 * paths are unique; everything inside one pool is checked here.
 */

const id = idSchema;
const wsUrl = wsUrlSchema;

/** Paths the gateway serves itself; a pool may not take them. */
export const RESERVED_PATHS: readonly string[] = [
  "/ws",
  "/healthz",
  "/readyz",
  "/metrics",
  "/dashboard/live",
];

const poolPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, {
    message: "a pool path starts with '/' and holds no query or fragment",
  })
  .refine((path) => !RESERVED_PATHS.includes(path), {
    message: `a pool path may not be one of ${RESERVED_PATHS.join(", ")}`,
  });

/** Headers the WebSocket client sets itself; forwarding them would clash. */
const HOP_HEADERS = new Set(["host", "connection", "upgrade"]);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: "not a header name" })
  .transform((name) => name.toLowerCase())
  .refine(
    (name) => !HOP_HEADERS.has(name) && !name.startsWith("sec-websocket-"),
    { message: "the handshake headers are set by the gateway itself" },
  );

const backendSchema = z.strictObject({
  id,
  url: wsUrl,
  /** Share of new sessions relative to the others; 1 to 100. */
  weight: z.number().int().min(1).max(100).default(1),
});

/** Reports a backend id used twice, at the second use. */
function uniqueIds(
  backends: readonly { id: string }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  backends.forEach(({ id }, index) => {
    if (seen.has(id)) {
      const message = `backend id '${id}' is used twice`;
      ctx.addIssue({ code: "custom", message, path: [index, "id"] });
    }
    seen.add(id);
  });
}

const keyName = z.string().min(1);

const balancerSchema = z.discriminatedUnion("type", [
  /** Each backend in turn, in proportion to its weight. */
  z.strictObject({ type: z.literal("round-robin") }),
  /** The backend with the fewest open sessions per unit of weight. */
  z.strictObject({ type: z.literal("least-connections") }),
  /**
   * Consistent hashing of one value of the request, so a key stays on
   * its backend; requests without the value are spread round-robin.
   */
  z
    .strictObject({
      type: z.literal("hash"),
      header: keyName.optional(),
      cookie: keyName.optional(),
      query: keyName.optional(),
    })
    .refine((b) => [b.header, b.cookie, b.query].filter(Boolean).length === 1, {
      message: "a hash balancer names exactly one header, cookie or query",
    }),
]);

const healthCheckSchema = z
  .strictObject({
    /** `websocket`: a full handshake; `http`: a GET answered with 2xx. */
    type: z.enum(["websocket", "http"]),
    /** Path to check instead of the backend URL's own path. */
    path: z.string().startsWith("/").optional(),
    intervalMs: z.number().int().positive().default(5_000),
    timeoutMs: z.number().int().positive().default(2_000),
    /** Consecutive passed checks that make an unhealthy backend healthy. */
    healthyThreshold: z.number().int().positive().default(2),
    /** Consecutive failed checks that make a healthy backend unhealthy. */
    unhealthyThreshold: z.number().int().positive().default(3),
  })
  .refine((c) => c.timeoutMs <= c.intervalMs, {
    message: "timeoutMs must not exceed intervalMs",
    path: ["timeoutMs"],
  });

const passiveSchema = z.strictObject({
  /** Consecutive failed connects that eject a backend; 0 never ejects. */
  failures: z.number().int().nonnegative().default(3),
  /**
   * How long the first ejection lasts; each further ejection without a
   * successful connect in between doubles it, up to 16 times this.
   */
  ejectMs: z.number().int().positive().default(10_000),
});

const failoverSchema = z.strictObject({
  /** Move a session to another backend when its backend dies. */
  enabled: z.boolean().default(true),
  /** The first client frames kept to replay on the new backend. */
  replayFrames: z.number().int().nonnegative().default(16),
  /** Upper bound on the bytes of those frames. */
  replayBytes: z
    .number()
    .int()
    .nonnegative()
    .default(64 * 1024),
});

export const poolSchema = z.strictObject({
  id,
  /** The client path of this pool, as `/proxy/chat`. */
  path: poolPath,
  backends: z.array(backendSchema).default([]).superRefine(uniqueIds),
  balancer: balancerSchema.default({ type: "round-robin" }),
  /** Active checks; without them only failed connects mark a backend. */
  healthCheck: healthCheckSchema.optional(),
  passive: passiveSchema.default({ failures: 3, ejectMs: 10_000 }),
  /** Time for a backend to complete its handshake before the next. */
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /**
   * Client headers passed to the backend. X-Forwarded-For and
   * X-Forwarded-Proto are always added.
   */
  forwardHeaders: z.array(headerName).default(["authorization", "cookie"]),
  failover: failoverSchema.default({
    enabled: true,
    replayFrames: 16,
    replayBytes: 64 * 1024,
  }),
  /**
   * Bytes one direction may hold in the gateway's send buffer before it
   * stops reading the other side; reading resumes below half of it.
   */
  maxBufferedBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Largest message accepted from either side (closes with 1009). */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
});

/** One pool, as parsed (defaults filled in). */
export type PoolConfig = z.infer<typeof poolSchema>;
/** One pool as written in a config file or a control call. */
export type PoolInput = z.input<typeof poolSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type BackendInput = z.input<typeof backendSchema>;
export type BalancerConfig = PoolConfig["balancer"];
export type HealthCheckConfig = NonNullable<PoolConfig["healthCheck"]>;
export type PassiveConfig = PoolConfig["passive"];
export type FailoverConfig = PoolConfig["failover"];

/** The schema of one backend, for control calls that add one. */
export { backendSchema };

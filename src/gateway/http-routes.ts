import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readiness } from "../telemetry/index.js";

/** The content type of the Prometheus text exposition format. */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

const PLAIN_TEXT = "text/plain; charset=utf-8";

/** What the plain HTTP routes need to know of the gateway. */
export interface HttpRouteContext {
  /**
   * Whether the gateway serves its groups, for `/readyz`: 200 when ready,
   * else 503, both with the answer as JSON.
   */
  readiness?(): Readiness;
  /**
   * @deprecated Use {@link readiness}, which says why; kept until the
   * gateway passes it. Used only when `readiness` is absent.
   */
  ready?(): boolean;
  /** Prometheus text for `/metrics`; without it `/metrics` is 404. */
  metrics?(): Promise<string>;
}

/**
 * Answers the plain HTTP routes that share the port with `/ws`:
 * `/healthz` (the process is alive: always 200), `/readyz` (it serves
 * clients) and `/metrics` (Prometheus). Other paths are 404; a method
 * other than GET or HEAD on these routes is 405.
 */
export function handleHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpRouteContext,
): void {
  const path = (req.url ?? "/").split("?")[0];
  const known = path === "/healthz" || path === "/readyz";
  if (!known && !(path === "/metrics" && context.metrics)) {
    reply(res, 404, PLAIN_TEXT, `not found; try /ws, ${routesOf(context)}\n`);
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    reply(res, 405, PLAIN_TEXT, `${req.method} not allowed; use GET\n`);
    return;
  }
  if (path === "/healthz") {
    reply(res, 200, PLAIN_TEXT, "ok\n");
  } else if (path === "/readyz") {
    replyReadiness(res, readinessOf(context));
  } else {
    void replyMetrics(res, context);
  }
}

function readinessOf(context: HttpRouteContext): Readiness {
  if (context.readiness) return context.readiness();
  const ready = context.ready?.() ?? false;
  return ready
    ? { ready, problems: [] }
    : { ready, problems: [{ reason: "starting" }] };
}

function replyReadiness(res: ServerResponse, readiness: Readiness): void {
  const body = `${JSON.stringify(readiness)}\n`;
  reply(res, readiness.ready ? 200 : 503, "application/json", body);
}

async function replyMetrics(
  res: ServerResponse,
  context: HttpRouteContext,
): Promise<void> {
  try {
    const text = (await context.metrics?.()) ?? "";
    reply(res, 200, PROMETHEUS_TEXT, text);
  } catch (err) {
    // Our fault, not the scraper's: 500, with the cause for the operator.
    reply(res, 500, PLAIN_TEXT, `metrics collection failed: ${err}\n`);
  }
}

function routesOf(context: HttpRouteContext): string {
  return context.metrics
    ? "/healthz, /readyz or /metrics"
    : "/healthz or /readyz";
}

function reply(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

import type { IncomingMessage, ServerResponse } from "node:http";

/** What the plain HTTP routes need to know of the gateway. */
export interface HttpRouteContext {
  /** True once the gateway listens and has started its sources. */
  ready(): boolean;
}

/**
 * Answers the plain HTTP routes that share the port with `/ws`:
 * `/healthz` (the process is alive) and `/readyz` (it serves clients).
 */
export function handleHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpRouteContext,
): void {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/healthz") {
    reply(res, 200, "ok\n");
  } else if (path === "/readyz") {
    const ready = context.ready();
    reply(res, ready ? 200 : 503, ready ? "ready\n" : "starting\n");
  } else {
    reply(res, 404, "not found; try /ws, /healthz or /readyz\n");
  }
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

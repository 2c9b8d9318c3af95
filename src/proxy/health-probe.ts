import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { WebSocket } from "ws";
import type { HealthCheckConfig } from "./pool-schema.js";

/** A check result: undefined when it passed, else why it failed. */
export type ProbeResult = string | undefined;

/**
 * Checks one backend once, within `timeoutMs`. A `websocket` probe opens
 * and closes a WebSocket; an `http` probe expects a 2xx to a GET of the
 * same host (`ws` → `http`, `wss` → `https`). Never rejects.
 */
export function probeBackend(
  backendUrl: string,
  check: HealthCheckConfig,
): Promise<ProbeResult> {
  const url = new URL(backendUrl);
  if (check.path !== undefined) {
    const target = new URL(check.path, url);
    url.pathname = target.pathname;
    url.search = target.search;
  }
  return check.type === "websocket"
    ? probeWebSocket(url, check.timeoutMs)
    : probeHttp(url, check.timeoutMs);
}

function probeWebSocket(url: URL, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      resolve(`no handshake within ${timeoutMs} ms`);
      ws.terminate();
    }, timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(undefined);
      ws.close(1000, "health check");
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
  });
}

function probeHttp(url: URL, timeoutMs: number): Promise<ProbeResult> {
  const secure = url.protocol === "wss:";
  url.protocol = secure ? "https:" : "http:";
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, { method: "GET" }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? undefined : `HTTP ${status}`);
      req.destroy();
    });
    req.setTimeout(timeoutMs, () => {
      resolve(`no answer within ${timeoutMs} ms`);
      req.destroy();
    });
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

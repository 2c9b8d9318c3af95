import type { IncomingMessage } from "node:http";
import type { BalancerConfig } from "./pool-schema.js";

/**
 * The value a hash balancer hashes: the named header, cookie or query
 * parameter of the upgrade request. Undefined for other balancers and
 * when the request lacks the value (an empty value counts as absent).
 */
export function balanceKey(
  balancer: BalancerConfig,
  req: IncomingMessage,
): string | undefined {
  if (balancer.type !== "hash") return undefined;
  let value: string | undefined;
  if (balancer.header !== undefined) {
    value = headerValue(req, balancer.header);
  } else if (balancer.cookie !== undefined) {
    value = cookieValue(headerValue(req, "cookie"), balancer.cookie);
  } else if (balancer.query !== undefined) {
    value = queryValue(req.url, balancer.query);
  }
  return value === "" ? undefined : value;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** One cookie of a Cookie header (`a=1; b=2`), not decoded. */
export function cookieValue(
  header: string | undefined,
  name: string,
): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

function queryValue(url: string | undefined, name: string): string | undefined {
  const query = url?.indexOf("?") ?? -1;
  if (url === undefined || query === -1) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get(name) ?? undefined;
}

import { JSON_SUBPROTOCOL, jsonProtocol } from "./json-protocol.js";
import { PROTO_SUBPROTOCOL, protoProtocol } from "./proto-protocol.js";
import type { WsProtocol } from "./protocol.js";

/**
 * The subprotocols the gateway speaks on `/ws`. Which one a session gets
 * is the client's choice: the first subprotocol it lists that is here
 * (see {@link pickSubprotocol}); JSON when it lists none.
 */
export const WS_SUBPROTOCOLS = [JSON_SUBPROTOCOL, PROTO_SUBPROTOCOL] as const;

/** One of {@link WS_SUBPROTOCOLS}. */
export type WsSubprotocol = (typeof WS_SUBPROTOCOLS)[number];

const PROTOCOLS: Readonly<Record<WsSubprotocol, WsProtocol>> = {
  [JSON_SUBPROTOCOL]: jsonProtocol,
  [PROTO_SUBPROTOCOL]: protoProtocol,
};

/**
 * The first of `offered`, in the client's order, that the gateway speaks;
 * undefined when there is none. The client's order wins over ours because
 * only the client knows which decoder it would rather use.
 */
export function pickSubprotocol(
  offered: Iterable<string>,
): WsSubprotocol | undefined {
  for (const name of offered) {
    if (isSubprotocol(name)) return name;
  }
  return undefined;
}

/**
 * The protocol of a session whose negotiated subprotocol is `name`; the
 * JSON one for the empty string (no subprotocol asked for).
 */
export function protocolFor(name: string): WsProtocol {
  return isSubprotocol(name) ? PROTOCOLS[name] : jsonProtocol;
}

function isSubprotocol(name: string): name is WsSubprotocol {
  return Object.hasOwn(PROTOCOLS, name);
}

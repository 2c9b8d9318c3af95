import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { QueueSink } from "../session-queue.js";
import type { WsProtocol } from "./protocol.js";
import type { WriteCoalescer } from "./write-coalescer.js";

/**
 * Bytes the socket may hold unsent before the session stops writing and
 * starts queueing. Small enough that the session's own queue, where the
 * policy applies, holds the backlog; large enough to keep the pipe full.
 */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;

/** What the sink of one WebSocket session writes to. */
export interface WsSinkParts {
  readonly socket: WebSocket;
  readonly wire: WsProtocol;
  readonly rawSocket: Duplex | undefined;
  readonly coalescer: WriteCoalescer | undefined;
  /** True while the client answers no ping: queue, do not write. */
  readonly stalled: () => boolean;
  /** Writes what the session queued; called when the socket flushed. */
  readonly drain: () => void;
  /** Closes the session when its queue overflows with `disconnect`. */
  readonly overflow: (reason: string) => void;
}

/** A session queue's view of one WebSocket. */
export function createWsSink(parts: WsSinkParts): QueueSink {
  const { socket, wire, rawSocket, coalescer, stalled, drain } = parts;
  const options = { binary: wire.binary };
  const hold =
    coalescer !== undefined && rawSocket !== undefined
      ? () => coalescer.hold(rawSocket)
      : undefined;
  return {
    ready: () =>
      !stalled() &&
      socket.readyState === WebSocket.OPEN &&
      socket.bufferedAmount < SOCKET_HIGH_WATER_BYTES,
    // Every write asks to be told when it is flushed. Asking only for the
    // write that crosses the high-water mark is not enough: frame headers,
    // pongs and replies also fill the socket, and a session that stops
    // being ready without a pending callback would stall.
    write: (item) => {
      hold?.();
      socket.send(wire.frameOf(item), options, drain);
    },
    overflow: parts.overflow,
  };
}

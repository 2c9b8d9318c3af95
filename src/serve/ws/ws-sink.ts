import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { QueueItem, QueueSink } from "../session-queue.js";
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

/** A session queue's view of one WebSocket, and its pending batch. */
export interface WsSink extends QueueSink {
  /**
   * Writes the frames held for this turn now. A reply, a pong or a close
   * frame goes through ws directly; flushing first keeps it behind the
   * messages the session wrote before it.
   */
  flush(): void;
  /**
   * Holds a heartbeat ping to go out behind the next message, in the same
   * write; false when this sink does not batch (send it now instead).
   */
  holdPing(frame: Buffer): boolean;
  /** Writes the ping held back, if no message took it along. */
  sendHeldPing(): void;
}

/**
 * A session queue's view of one WebSocket.
 *
 * With the upgraded TCP socket at hand, a message goes out as the frame
 * every client of the subprotocol shares (see `framedOf`), written to that
 * socket as it is: no header, mask check or copy per recipient, which is
 * most of what `WebSocket.send` costs a fan-out. This is sound because the
 * server has permessage-deflate off, so ws's own sender writes every
 * frame (pongs, replies, close) synchronously and in order on the same
 * socket; nothing of its is ever queued behind ours or ahead of it.
 * `bufferedAmount` still counts these bytes once written: it reads the
 * socket's writable length. Frames held in the turn's batch are not
 * counted yet; the batch's own bound (`maxFramesPerWrite`) limits them.
 */
export function createWsSink(parts: WsSinkParts): WsSink {
  const { socket, wire, rawSocket, coalescer, stalled, drain } = parts;
  const options = { binary: wire.binary };
  const open = () => socket.readyState === WebSocket.OPEN;
  let write: (item: QueueItem) => void;
  let flush = () => {};
  let holdPing = (_frame: Buffer) => false;
  let sendHeldPing = () => {};
  if (rawSocket === undefined) {
    write = (item) => socket.send(wire.frameOf(item), options, drain);
  } else {
    // No callback per write: the sink stops being ready only above
    // SOCKET_HIGH_WATER_BYTES, far above the socket's own high-water mark,
    // so whichever write took it there (ours, a reply, a pong) was told
    // to wait, and the socket emits 'drain' once it has written it all.
    rawSocket.on("drain", drain);
    if (coalescer === undefined) {
      write = (item) => {
        rawSocket.write(wire.framedOf(item));
      };
    } else {
      const batch = coalescer.batchFor(rawSocket, open);
      // Behind the message, so its pong also says the message was read.
      let heldPing: Buffer | undefined;
      write = (item) => {
        batch.add(wire.framedOf(item));
        if (heldPing === undefined) return;
        batch.add(heldPing);
        heldPing = undefined;
      };
      flush = () => batch.flush();
      holdPing = (frame) => {
        heldPing = frame;
        return true;
      };
      sendHeldPing = () => {
        if (heldPing === undefined) return;
        batch.add(heldPing);
        heldPing = undefined;
      };
    }
  }
  return {
    ready: () =>
      !stalled() && open() && socket.bufferedAmount < SOCKET_HIGH_WATER_BYTES,
    // Through ws, every write asks to be told when it is flushed: ws
    // buffers inside its sender too, so the socket's 'drain' alone would
    // not cover what it holds.
    write,
    flush,
    holdPing,
    sendHeldPing,
    overflow: parts.overflow,
  };
}

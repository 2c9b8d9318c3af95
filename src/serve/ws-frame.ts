import * as ws from "ws";

/** Options of `Sender.frame`, which @types/ws does not declare. */
interface FrameOptions {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly mask: boolean;
  readonly readOnly: boolean;
}

/*
 * `Sender.frame` is the frame builder ws's own `send` uses; ws exports
 * the class, but its typings leave it out.
 */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};

const TEXT: FrameOptions = {
  fin: true,
  rsv1: false,
  opcode: 1,
  mask: false,
  // The payload is copied into the frame once, so callers may keep it.
  readOnly: false,
};
const BINARY: FrameOptions = { ...TEXT, opcode: 2 };
const PING: FrameOptions = { ...TEXT, opcode: 9 };

/**
 * One whole WebSocket frame from server to client: unmasked, final,
 * uncompressed, so the same bytes are right for every client socket and
 * can be written to each as they are.
 */
export function frameForClients(payload: Buffer, binary: boolean): Buffer {
  const parts = Sender.frame(payload, binary ? BINARY : TEXT);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/**
 * A whole ping frame with `payload` (at most 125 bytes, as control frames
 * must be), for writing to any client socket as it is.
 */
export function pingFrameForClients(payload: string): Buffer {
  const parts = Sender.frame(Buffer.from(payload), PING);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

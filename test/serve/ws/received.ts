import type { Socket } from "node:net";
import type { Frame, TestClient } from "../../support/client.js";

/**
 * The TCP socket under a test client's WebSocket, so a test can stop the
 * client reading (`pause()`) the way a stuck browser tab would.
 */
export function underlying(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

/** Every seq covered by a message or a gap, in the order received. */
export function coverage(frames: readonly Frame[]): number[] {
  const seqs: number[] = [];
  for (const frame of frames) {
    if (frame.type === "message") seqs.push(frame.seq as number);
    if (frame.type === "gap") {
      const to = frame.toSeq as number;
      for (let n = frame.fromSeq as number; n <= to; n++) seqs.push(n);
    }
  }
  return seqs;
}

import type { Duplex } from "node:stream";

/**
 * Bytes a client may send before its handshake is answered. A client
 * should send nothing until then; this only keeps an eager one working.
 */
export const MAX_EARLY_BYTES = 64 * 1024;

/**
 * Watches a client socket while its upgrade waits for a backend. The
 * socket must be read to notice a hang-up, so whatever arrives is kept
 * and handed to ws as part of the upgrade's head; {@link signal} aborts
 * when the client leaves, so the dial stops and no backend is left open.
 */
export class PendingUpgrade {
  readonly #socket: Duplex;
  readonly #abort = new AbortController();
  readonly #early: Buffer[] = [];
  #earlyBytes = 0;

  constructor(socket: Duplex) {
    this.#socket = socket;
    socket.on("data", this.#onData);
    socket.on("error", this.#onGone);
    // HTTP server sockets allow half-open connections: a client's FIN
    // ends the socket without closing it.
    socket.once("end", this.#onGone);
    socket.once("close", this.#onGone);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The client left (or misbehaved) while waiting. */
  get gone(): boolean {
    return this.#abort.signal.aborted || this.#socket.destroyed;
  }

  /**
   * Stops watching and returns the head to pass to ws. Call right
   * before `handleUpgrade`, in the same tick, so no read is missed.
   */
  finish(head: Buffer): Buffer {
    this.#socket.off("data", this.#onData);
    this.#socket.off("error", this.#onGone);
    this.#socket.off("end", this.#onGone);
    this.#socket.off("close", this.#onGone);
    if (this.#early.length === 0) return head;
    return Buffer.concat([head, ...this.#early]);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#earlyBytes += chunk.length;
    if (this.#earlyBytes > MAX_EARLY_BYTES) {
      this.#socket.destroy();
      return;
    }
    this.#early.push(chunk);
  };

  readonly #onGone = (): void => {
    this.#abort.abort();
  };
}

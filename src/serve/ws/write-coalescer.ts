import type { Duplex } from "node:stream";

/** Frames merged into one socket write at most, unless configured. */
export const DEFAULT_MAX_FRAMES_PER_WRITE = 16;

/**
 * Merges the frames written to each client socket during one event-loop
 * turn into one write: the first frame of a turn corks the socket, and one
 * `setImmediate` for all sockets uncorks them after the turn's I/O
 * callbacks, so a burst of upstream messages costs each client one
 * `writev` instead of one syscall per message.
 *
 * `ws` frames each message inside its own cork/uncork pair; Node counts
 * corks, so those inner pairs do not flush while the outer cork holds.
 */
export class WriteCoalescer {
  /** Corked sockets and how many frames each holds. */
  readonly #held = new Map<Duplex, number>();
  readonly #maxFrames: number;
  #scheduled = false;

  /**
   * @param maxFramesPerWrite - once a socket holds this many frames it is
   * flushed at once, bounding how much the merge can delay a frame.
   */
  constructor(maxFramesPerWrite = DEFAULT_MAX_FRAMES_PER_WRITE) {
    this.#maxFrames = maxFramesPerWrite;
  }

  /** Call just before writing one frame to `socket`. */
  hold(socket: Duplex): void {
    const held = this.#held.get(socket);
    if (held === undefined) {
      socket.cork();
      this.#held.set(socket, 1);
      this.#schedule();
    } else if (held >= this.#maxFrames) {
      // Flush what is held and keep the socket corked for this frame.
      socket.uncork();
      socket.cork();
      this.#held.set(socket, 1);
    } else {
      this.#held.set(socket, held + 1);
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    for (const socket of this.#held.keys()) socket.uncork();
    this.#held.clear();
  }
}

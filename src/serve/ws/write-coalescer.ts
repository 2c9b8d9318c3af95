import type { Duplex } from "node:stream";

/** Frames merged into one socket write at most, unless configured. */
export const DEFAULT_MAX_FRAMES_PER_WRITE = 16;

/**
 * Merges the frames written to each client socket within a short window
 * into one write. A burst of upstream messages then costs each client one
 * `write` of one buffer, instead of a stream write and a syscall per
 * message: for a fan-out, that per-message cost per client is most of the
 * work. The window starts with the first frame any socket gets; when it
 * ends, the batches of every socket are written together. A window of 0
 * ends after the current event-loop turn's I/O callbacks (`setImmediate`);
 * a window of 1 ms or more also takes in frames that arrive a moment later
 * in reads of their own, as a burst sent frame by frame upstream does. A
 * batch that reaches `maxFramesPerWrite` is written at once, which bounds
 * how far a batch can run past the socket's high-water mark.
 */
export class WriteCoalescer {
  readonly maxFrames: number;
  readonly windowMs: number;
  /** Batches holding frames, in the order they got their first. */
  #due: FrameBatch[] = [];
  #scheduled = false;
  /** The frames last joined into one buffer, and that buffer. */
  #lastFrames: readonly Buffer[] = [];
  #lastJoined: Buffer | undefined;

  /**
   * @param maxFramesPerWrite - once a socket holds this many frames it is
   * written at once.
   * @param windowMs - the longest a frame waits for others to join it.
   */
  constructor(maxFramesPerWrite = DEFAULT_MAX_FRAMES_PER_WRITE, windowMs = 0) {
    this.maxFrames = maxFramesPerWrite;
    this.windowMs = windowMs;
  }

  /**
   * The batch of one socket. `isOpen` is asked before each write: frames
   * held when the session closed are not written after its close frame.
   * `written`, when given, is called once each batch has been handed to
   * the kernel.
   */
  batchFor(
    socket: Duplex,
    isOpen: () => boolean,
    written?: () => void,
  ): FrameBatch {
    return new FrameBatch(this, socket, isOpen, written);
  }

  /** A batch got its first frame of the turn. */
  due(batch: FrameBatch): void {
    this.#due.push(batch);
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.windowMs > 0) {
      setTimeout(() => this.#flush(), this.windowMs);
    } else {
      setImmediate(() => this.#flush());
    }
  }

  /**
   * The frames as one buffer. In a fan-out most sockets are handed the
   * very same frames in a window, so the buffer joined for one socket is
   * kept and given to the next whose frames are the same objects in the
   * same order: one copy and one allocation per window, not per client.
   * Frames are never modified once made, so comparing identities is
   * enough.
   */
  join(frames: readonly Buffer[]): Buffer {
    if (frames.length === 1) return frames[0] as Buffer;
    const last = this.#lastFrames;
    let same = last.length === frames.length;
    for (let i = 0; same && i < frames.length; i++) {
      same = last[i] === frames[i];
    }
    if (!same || this.#lastJoined === undefined) {
      // A copy: batches empty their arrays to use them again.
      this.#lastFrames = frames.slice();
      this.#lastJoined = Buffer.concat(frames);
    }
    return this.#lastJoined;
  }

  #flush(): void {
    this.#scheduled = false;
    const due = this.#due;
    this.#due = [];
    for (const batch of due) batch.flush();
  }
}

/** The frames one socket was given this turn, written as one buffer. */
export class FrameBatch {
  readonly #coalescer: WriteCoalescer;
  readonly #socket: Duplex;
  readonly #isOpen: () => boolean;
  readonly #written: (() => void) | undefined;
  readonly #frames: Buffer[] = [];

  constructor(
    coalescer: WriteCoalescer,
    socket: Duplex,
    isOpen: () => boolean,
    written: (() => void) | undefined,
  ) {
    this.#coalescer = coalescer;
    this.#socket = socket;
    this.#isOpen = isOpen;
    this.#written = written;
  }

  /** Frames held, not yet written. */
  get size(): number {
    return this.#frames.length;
  }

  /** Holds one whole WebSocket frame until the turn ends. */
  add(frame: Buffer): void {
    const frames = this.#frames;
    if (frames.length === 0) this.#coalescer.due(this);
    frames.push(frame);
    if (frames.length >= this.#coalescer.maxFrames) this.flush();
  }

  /** Writes what is held now; a no-op when nothing is. */
  flush(): void {
    const frames = this.#frames;
    if (frames.length === 0) return;
    const data = this.#isOpen() ? this.#coalescer.join(frames) : undefined;
    // The same array again next time: a fan-out flushes every client's
    // batch for every message, and a new array each time is garbage the
    // collector's threads then spend a core's share on.
    frames.length = 0;
    if (data === undefined) return;
    if (this.#written === undefined) this.#socket.write(data);
    else this.#socket.write(data, this.#written);
  }
}

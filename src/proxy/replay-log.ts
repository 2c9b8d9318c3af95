/** A client message kept to replay on a new backend. */
export interface ReplayFrame {
  readonly data: Buffer;
  readonly binary: boolean;
}

/**
 * The first messages a client sent (its login, its subscriptions), up to
 * `maxFrames` and `maxBytes`. Recording stops for good at the first
 * message that does not fit, so the log is always an exact prefix of
 * what the client sent.
 */
export class ReplayLog {
  readonly #frames: ReplayFrame[] = [];
  readonly #maxFrames: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #full: boolean;

  constructor(maxFrames: number, maxBytes: number) {
    this.#maxFrames = maxFrames;
    this.#maxBytes = maxBytes;
    this.#full = maxFrames === 0;
  }

  get frames(): readonly ReplayFrame[] {
    return this.#frames;
  }

  record(data: Buffer, binary: boolean): void {
    if (this.#full) return;
    if (this.#bytes + data.length > this.#maxBytes) {
      this.#full = true;
      return;
    }
    this.#frames.push({ data, binary });
    this.#bytes += data.length;
    if (this.#frames.length >= this.#maxFrames) this.#full = true;
  }
}

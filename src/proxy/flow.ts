import type { WebSocket } from "ws";

/**
 * Reading of one WebSocket, paused while anyone holds it. Backpressure
 * and a failover may both hold the client's side at once; it resumes only
 * when both let go. Uses ws's own `pause()`, which its receiver respects.
 */
export class ReadGate {
  readonly #ws: WebSocket;
  readonly #holds = new Set<string>();

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  get paused(): boolean {
    return this.#holds.size > 0;
  }

  hold(reason: string): void {
    if (this.#holds.size === 0) this.#ws.pause();
    this.#holds.add(reason);
  }

  release(reason: string): void {
    if (!this.#holds.delete(reason) || this.#holds.size > 0) return;
    this.#ws.resume();
  }

  /** Resumes for good, as a closing socket must read the peer's close. */
  releaseAll(): void {
    if (this.#holds.size === 0) return;
    this.#holds.clear();
    this.#ws.resume();
  }
}

/**
 * One direction of a relay: sends each message to `sink` and holds the
 * source's {@link ReadGate} while the sink's send buffer is above
 * `maxBufferedBytes`, until it drains to half of that.
 *
 * The drain is seen through send callbacks, which ws calls as each
 * message leaves its buffer for the kernel, so no private socket is
 * touched. Messages the source had already read when the gate closed
 * still go out, so the buffer may pass the bound by what one socket read
 * holds (up to 64 KiB) plus one message.
 */
export class Flow {
  readonly #sink: WebSocket;
  readonly #source: ReadGate;
  readonly #maxBufferedBytes: number;
  readonly #reason: string;
  #holding = false;

  constructor(
    sink: WebSocket,
    source: ReadGate,
    maxBufferedBytes: number,
    name: string,
  ) {
    this.#sink = sink;
    this.#source = source;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#reason = `backpressure ${name}`;
  }

  /** Bytes waiting in the sink's send buffer. */
  get buffered(): number {
    return this.#sink.bufferedAmount;
  }

  send(data: Buffer, binary: boolean): void {
    this.#sink.send(data, { binary }, this.#onSent);
    if (this.#holding || this.buffered <= this.#maxBufferedBytes) return;
    this.#holding = true;
    this.#source.hold(this.#reason);
  }

  /** Lets go of the source, as when the sink is replaced or gone. */
  dispose(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#source.release(this.#reason);
  }

  readonly #onSent = (): void => {
    if (!this.#holding) return;
    if (this.buffered > this.#maxBufferedBytes / 2) return;
    this.dispose();
  };
}

import {
  type AddressInfo,
  createServer,
  connect as dial,
  type Server,
  type Socket,
} from "node:net";

/**
 * Which way bytes flow through a {@link FaultProxy}: `toTarget` from the
 * proxy's client (the gateway) to the target (the upstream), `toClient`
 * back.
 */
export type Direction = "toTarget" | "toClient";

/** The faults of one direction; read live, so a change applies at once. */
export interface FaultSettings {
  /** Added one-way delay of every chunk, in ms. Default 0. */
  latencyMs: number;
  /** Throughput cap in bytes per second; 0 (default) is unlimited. */
  bytesPerSecond: number;
  /**
   * While true, every byte is read and discarded, queued ones too; the
   * sockets stay open, so neither end notices anything but silence.
   * Lifting it leaves the byte stream cut, so a framed protocol on an
   * existing connection is corrupt afterwards. Default false.
   */
  blackhole: boolean;
}

/** Bytes one direction of one connection may queue before reading pauses. */
const HIGH_WATER_BYTES = 256 * 1024;

/** Throttled chunks are split so one never takes more than this long. */
const SLICE_MS = 20;

/** One direction of one proxied connection. */
class Lane {
  #queue: { chunk: Buffer; dueAt: number }[] = [];
  #queuedBytes = 0;
  #lastDueAt = 0;
  #lineFreeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The source sent FIN, or a slow close cut the lane: end after flush. */
  #ending = false;
  #ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly faults: FaultSettings,
    private readonly counts: LaneCounts,
  ) {
    from.on("data", (chunk: Buffer) => this.#read(chunk));
    // A blackhole swallows the FIN too: the far end keeps waiting.
    from.on("end", () => {
      if (!this.faults.blackhole) this.finish();
    });
  }

  /** Stops forwarding new bytes and ends `to` once the queue is flushed. */
  finish(): void {
    this.#ending = true;
    this.#flush();
  }

  /** Cancels the timer; queued bytes are forgotten. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#queue = [];
  }

  #read(chunk: Buffer): void {
    if (this.#ending) return;
    if (this.faults.blackhole) {
      this.counts.dropped += chunk.length;
      return;
    }
    for (const slice of this.#slices(chunk)) this.#enqueue(slice);
    if (this.#queuedBytes > HIGH_WATER_BYTES) this.from.pause();
    this.#flush();
  }

  #slices(chunk: Buffer): Buffer[] {
    const { bytesPerSecond } = this.faults;
    if (bytesPerSecond <= 0) return [chunk];
    const size = Math.max(1, Math.floor((bytesPerSecond * SLICE_MS) / 1000));
    const slices: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += size) {
      slices.push(chunk.subarray(at, at + size));
    }
    return slices;
  }

  /** Serialization at the capped rate first, then the added delay. */
  #enqueue(chunk: Buffer): void {
    const now = Date.now();
    const { bytesPerSecond, latencyMs } = this.faults;
    const sendMs =
      bytesPerSecond > 0 ? (chunk.length * 1000) / bytesPerSecond : 0;
    this.#lineFreeAt = Math.max(now, this.#lineFreeAt) + sendMs;
    // Never before an earlier chunk, even when the latency was lowered.
    const dueAt = Math.max(this.#lineFreeAt + latencyMs, this.#lastDueAt);
    this.#lastDueAt = dueAt;
    this.#queue.push({ chunk, dueAt });
    this.#queuedBytes += chunk.length;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    while (this.#queue.length > 0 && (this.#queue[0]?.dueAt ?? 0) <= now) {
      const { chunk } = this.#queue.shift() as { chunk: Buffer };
      this.#queuedBytes -= chunk.length;
      this.#deliver(chunk);
    }
    if (this.#queuedBytes <= HIGH_WATER_BYTES / 2) this.from.resume();
    const head = this.#queue[0];
    if (head !== undefined) {
      this.#timer = setTimeout(() => this.#flush(), head.dueAt - now);
    } else if (this.#ending && !this.#ended) {
      this.#ended = true;
      this.to.end();
    }
  }

  #deliver(chunk: Buffer): void {
    // A blackhole switched on while bytes were queued swallows them too.
    if (this.faults.blackhole) {
      this.counts.dropped += chunk.length;
      return;
    }
    if (this.to.destroyed || this.to.writableEnded) return;
    this.to.write(chunk);
    this.counts.forwarded += chunk.length;
  }
}

/** Bytes counted for one direction, over all connections. */
export interface LaneCounts {
  /** Bytes written to the far end. */
  forwarded: number;
  /** Bytes discarded by a blackhole. */
  dropped: number;
}

/** One proxied TCP connection: the accepted socket and its dial out. */
interface Link {
  readonly client: Socket;
  readonly target: Socket;
  readonly lanes: Record<Direction, Lane>;
  readonly timers: Set<NodeJS.Timeout>;
}

/** Where a {@link FaultProxy} forwards to. */
export interface ProxyTarget {
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly port: number;
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) for fault tests: put it between the
 * gateway and an upstream and switch faults per direction while traffic
 * flows. Latency, bandwidth and blackhole are {@link FaultSettings};
 * {@link FaultProxy.reset}, {@link FaultProxy.slowClose} and
 * {@link FaultProxy.refuse} act on connections.
 */
export class FaultProxy {
  /** Faults of each direction, for new and existing connections alike. */
  readonly faults: Record<Direction, FaultSettings> = {
    toTarget: { latencyMs: 0, bytesPerSecond: 0, blackhole: false },
    toClient: { latencyMs: 0, bytesPerSecond: 0, blackhole: false },
  };
  /** Byte counts of each direction since start. */
  readonly counts: Record<Direction, LaneCounts> = {
    toTarget: { forwarded: 0, dropped: 0 },
    toClient: { forwarded: 0, dropped: 0 },
  };
  /**
   * While true, a new connection is reset as soon as it is accepted, like
   * a host whose service died. Default false.
   */
  refuse = false;
  /** Connections accepted since start, refused ones included. */
  accepted = 0;

  readonly #target: Required<ProxyTarget>;
  readonly #links = new Set<Link>();
  #server: Server | undefined;

  constructor(target: ProxyTarget) {
    this.#target = { host: target.host ?? "127.0.0.1", port: target.port };
  }

  /** Listens on 127.0.0.1, port 0 unless given. */
  async start(port = 0): Promise<this> {
    const server = createServer({ allowHalfOpen: true }, (socket) =>
      this.#accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    return this;
  }

  get port(): number {
    if (this.#server === undefined) throw new Error("proxy not started");
    return (this.#server.address() as AddressInfo).port;
  }

  /** A ws:// URL through the proxy, for a source's `url`. */
  url(path = "/feed"): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#links.size;
  }

  /**
   * Changes the faults of `direction` (or both) from now on.
   *
   * @throws RangeError for a negative or non-finite number.
   */
  set(direction: Direction | "both", faults: Partial<FaultSettings>): void {
    for (const name of ["latencyMs", "bytesPerSecond"] as const) {
      const value = faults[name];
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`${name} must be a number >= 0, got ${value}`);
      }
    }
    const targets: Direction[] =
      direction === "both" ? ["toTarget", "toClient"] : [direction];
    for (const which of targets) Object.assign(this.faults[which], faults);
  }

  /** Blackholes both directions (or lifts it with `false`). */
  blackhole(on = true): void {
    this.set("both", { blackhole: on });
  }

  /**
   * Destroys every open connection with a TCP RST on both sides, as a
   * crashed host or a dropped NAT entry would. New connections are
   * accepted as usual unless {@link refuse} is set.
   *
   * @returns how many connections were reset.
   */
  reset(): number {
    const count = this.#links.size;
    for (const link of [...this.#links]) this.#drop(link, true);
    return count;
  }

  /**
   * After `delayMs`, half-closes `direction` of every connection open now:
   * its bytes stop, its far end gets a FIN, and the other direction keeps
   * flowing until its own end closes. Default `toClient`, an upstream that
   * stops talking and closes its side late and without a close frame.
   */
  slowClose(delayMs: number, direction: Direction = "toClient"): void {
    for (const link of this.#links) {
      const timer = setTimeout(() => {
        link.timers.delete(timer);
        link.lanes[direction].finish();
      }, delayMs);
      link.timers.add(timer);
    }
  }

  /** Stops listening and destroys every connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    for (const link of [...this.#links]) this.#drop(link, false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.accepted += 1;
    if (this.refuse) {
      client.resetAndDestroy();
      return;
    }
    const target = dial({ ...this.#target, allowHalfOpen: true });
    client.setNoDelay(true);
    target.setNoDelay(true);
    const link: Link = {
      client,
      target,
      timers: new Set(),
      lanes: {
        toTarget: new Lane(
          client,
          target,
          this.faults.toTarget,
          this.counts.toTarget,
        ),
        toClient: new Lane(
          target,
          client,
          this.faults.toClient,
          this.counts.toClient,
        ),
      },
    };
    this.#links.add(link);
    // An error on one side (a refused dial, a reset) is passed on as a
    // reset of the other, as a host-level failure looks to both ends.
    client.on("error", () => this.#drop(link, true));
    target.on("error", () => this.#drop(link, true));
    const closeWhenBothGone = () => {
      if (client.destroyed && target.destroyed) this.#drop(link, false);
    };
    client.on("close", closeWhenBothGone);
    target.on("close", closeWhenBothGone);
  }

  #drop(link: Link, withReset: boolean): void {
    if (!this.#links.delete(link)) return;
    for (const timer of link.timers) clearTimeout(timer);
    link.lanes.toTarget.cancel();
    link.lanes.toClient.cancel();
    for (const socket of [link.client, link.target]) {
      if (socket.destroyed) continue;
      if (withReset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}

/**
 * Everything the benchmark knows about the bytes on the wire: the feed's
 * upstream frames, the frame the reference relays send (shaped like the
 * gateway's `message` frame) and the cheap reader subscribers use.
 */

/** Payload filler, so a delivery is the size of a small trade message. */
const PAD = "x".repeat(64);

/**
 * Upstream frame n. `data` comes last, so that the relays can lift it out
 * without parsing it; `t` is the planned send time with µs resolution.
 */
export function feedFrame(n: number, plannedAt: number, topics = 1): string {
  return (
    `{"topic":"fanout",${topicFields(n, topics)}"id":${n},"seq":${n},` +
    `"data":{"n":${n},"t":${plannedAt.toFixed(3)},"pad":"${PAD}"}}`
  );
}

/**
 * With several topics, message n goes to topic (n - 1) mod topics, named
 * `bench.g<group>.t<index>` by the many-topic codec (ten per group, so
 * that `bench.g<group>.*` is a wildcard over ten topics).
 */
function topicFields(n: number, topics: number): string {
  if (topics <= 1) return "";
  const k = (n - 1) % topics;
  return `"g":"g${Math.floor(k / 10)}","t":"t${k % 10}",`;
}

/** The topic index of message n, as {@link topicFields} assigns it. */
export function topicOf(n: number, topics: number): number {
  return (n - 1) % topics;
}

const DATA_FIELD = Buffer.from('"data":');

/** Stands in for the gateway's epoch id; the same length. */
const RELAY_EPOCH = "relay-0000001";

/**
 * What a relay sends for one upstream frame: the fields of the gateway's
 * `message` frame (type, topic, seq, epoch, ingestTime, source) followed
 * by the upstream `data` bytes as they came, so that both carry payloads
 * of nearly the same size and the relays do about the same once-per-message
 * work as the gateway's encoder. Returns undefined for a frame without
 * `data`.
 */
export function relayFrame(upstream: Buffer, seq: number): Buffer | undefined {
  const at = upstream.indexOf(DATA_FIELD);
  if (at < 0) return undefined;
  const data = upstream.subarray(at + DATA_FIELD.length, upstream.length - 1);
  const head =
    `{"type":"message","topic":"bench.fanout","seq":${seq}` +
    `,"epoch":"${RELAY_EPOCH}","ingestTime":"${new Date().toISOString()}"` +
    `,"source":"feed","data":`;
  return Buffer.concat([Buffer.from(head), data, Buffer.from("}")]);
}

/** The kinds of frame a subscriber tells apart. */
export type FrameKind = "message" | "gap" | "subscribed" | "other";

/* Byte 9 of `{"type":"…` is the first letter of the type. */
const TYPE_AT = 9;
const KIND_BY_LETTER: Readonly<Record<number, FrameKind>> = {
  109: "message", // m
  103: "gap", // g
  115: "subscribed", // s
};

/** Which kind of frame `frame` is, from one byte, without parsing. */
export function frameKind(frame: Buffer): FrameKind {
  return KIND_BY_LETTER[frame[TYPE_AT] ?? 0] ?? "other";
}

const STAMP = Buffer.from('"data":{"n":');
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Reads the feed's stamp (`n` and `t`) out of a `message` frame with one
 * native search and a digit loop, since JSON.parse of every delivery
 * would make the subscribers, not the server, the bottleneck. The last
 * read stamp is kept in `n` and `plannedAt` so that no object is
 * allocated per delivery.
 */
export class StampReader {
  /** The feed's sequence number of the last frame read. */
  n = 0;
  /** Its planned send time, ms on `clockMs()`. */
  plannedAt = 0;
  /** Where in the frame the last stamp read ended. */
  end = 0;
  readonly #stamp: Buffer;

  /** `stamp` is what precedes `n`: by default `"data":{"n":`. */
  constructor(stamp: Buffer = STAMP) {
    this.#stamp = stamp;
  }

  /** Reads the first stamp at or after `from`; false when there is none. */
  read(frame: Buffer, from = 0): boolean {
    const at = frame.indexOf(this.#stamp, from);
    if (at < 0) return false;
    let i = at + this.#stamp.length;
    let n = 0;
    for (; isDigit(frame[i]); i++) n = n * 10 + (frame[i] as number) - ZERO;
    // Skip `,"t":` (5 bytes) to the planned time.
    i += 5;
    let whole = 0;
    for (; isDigit(frame[i]); i++) {
      whole = whole * 10 + (frame[i] as number) - ZERO;
    }
    let fraction = 0;
    let scale = 1;
    if (frame[i] === DOT) {
      for (i++; isDigit(frame[i]); i++) {
        fraction = fraction * 10 + (frame[i] as number) - ZERO;
        scale *= 10;
      }
    }
    this.end = i;
    if (n === 0 || whole === 0) return false;
    this.n = n;
    this.plannedAt = whole + fraction / scale;
    return true;
  }
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= ZERO && byte <= NINE;
}

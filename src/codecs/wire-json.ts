import type { Envelope } from "../envelope/index.js";

/** A gap notice as the JSON client protocol carries it. */
export interface WireGap {
  /** The topic whose sequence has the hole. */
  readonly topic: string;
  /** First missing seq, inclusive. */
  readonly fromSeq: number;
  /** Last missing seq, inclusive. */
  readonly toSeq: number;
  /** Why the messages are missing, for people (`slow consumer`, ...). */
  readonly reason: string;
  /** The epoch the seqs belong to, when the sender knows it. */
  readonly epoch?: string;
}

/** `application/json` or any `+json` type, with or without parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

const CLOSE = 0x7d; // "}"

/**
 * Encodes an envelope as one `tributary.v1.json` frame:
 *
 * `{"type":"message","topic":…,"seq":…,"epoch":…,"time":…,"ingestTime":…,
 * "source":…,"key":…,"data":…}`
 *
 * Times are ISO 8601 strings; `time` and `key` are left out when the
 * envelope has none. A JSON payload is copied in as it is, byte for byte
 * and never parsed (an empty one as `null`); a `text/*` payload becomes a
 * JSON string; any other payload becomes a base64 string, and the frame
 * then says `"dataEncoding":"base64"` before `data`.
 */
export function encodeMessageJson(envelope: Envelope): Buffer {
  let head =
    `{"type":"message","topic":${JSON.stringify(envelope.topic)}` +
    `,"seq":${envelope.seq},"epoch":${JSON.stringify(envelope.epoch)}` +
    optionalTime("time", envelope.time) +
    optionalTime("ingestTime", envelope.ingestTime) +
    `,"source":${JSON.stringify(envelope.source)}`;
  if (envelope.key !== undefined) {
    head += `,"key":${JSON.stringify(envelope.key)}`;
  }

  const { data, contentType } = envelope;
  if (JSON_TYPE.test(contentType)) {
    return data.length === 0
      ? Buffer.from(`${head},"data":null}`)
      : withRawData(`${head},"data":`, data);
  }
  if (contentType.toLowerCase().startsWith("text/")) {
    const text = JSON.stringify(data.toString("utf8"));
    return Buffer.from(`${head},"data":${text}}`);
  }
  const base64 = data.toString("base64");
  return Buffer.from(`${head},"dataEncoding":"base64","data":"${base64}"}`);
}

/**
 * Encodes a gap notice as one `tributary.v1.json` frame:
 * `{"type":"gap","topic":…,"fromSeq":…,"toSeq":…,"reason":…,"epoch":…}`,
 * `epoch` left out when the notice has none.
 */
export function encodeGapJson(gap: WireGap): Buffer {
  const epoch =
    gap.epoch === undefined ? "" : `,"epoch":${JSON.stringify(gap.epoch)}`;
  return Buffer.from(
    `{"type":"gap","topic":${JSON.stringify(gap.topic)}` +
      `,"fromSeq":${gap.fromSeq},"toSeq":${gap.toSeq}` +
      `,"reason":${JSON.stringify(gap.reason)}${epoch}}`,
  );
}

/** `head`, then the payload bytes, then "}", in one allocation. */
function withRawData(head: string, data: Buffer): Buffer {
  const headBytes = Buffer.byteLength(head);
  const frame = Buffer.allocUnsafe(headBytes + data.length + 1);
  frame.write(head, 0, "utf8");
  data.copy(frame, headBytes);
  frame[frame.length - 1] = CLOSE;
  return frame;
}

/** `,"name":"<ISO 8601>"`, or nothing for a time a Date cannot hold. */
function optionalTime(name: string, ms: number | undefined): string {
  if (ms === undefined) {
    return "";
  }
  const date = new Date(ms);
  return Number.isNaN(date.getTime())
    ? ""
    : `,"${name}":"${date.toISOString()}"`;
}

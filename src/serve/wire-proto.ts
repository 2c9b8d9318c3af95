import type { Envelope } from "../envelope/index.js";
import { ServerFrame } from "../gen/tributary/v1/client_protocol.js";
import type {
  Envelope as EnvelopeProto,
  Gap as GapProto,
  Reset as ResetProto,
} from "../gen/tributary/v1/envelope.js";
import type { GapNotice, ResetNotice } from "../topics/index.js";

/*
 * The gateway's internal envelope and notices as the protobuf messages of
 * proto/tributary/v1, and the `tributary.v1.proto` frames that carry them.
 */

/**
 * Maps an envelope to the `tributary.v1.Envelope` message. Times become
 * whole milliseconds (an absent `time` is 0, as the proto says) and an
 * absent `key` the empty string. `data` is shared, not copied.
 */
export function toEnvelopeProto(envelope: Envelope): EnvelopeProto {
  return {
    topic: envelope.topic,
    seq: envelope.seq,
    epoch: envelope.epoch,
    timeMs: wholeMs(envelope.time ?? 0),
    ingestTimeMs: wholeMs(envelope.ingestTime),
    source: envelope.source,
    key: envelope.key ?? "",
    data: envelope.data,
    contentType: envelope.contentType,
  };
}

/** Maps a gap notice to the `tributary.v1.Gap` message. */
export function toGapProto(gap: GapNotice): GapProto {
  return {
    topic: gap.topic,
    fromSeq: gap.fromSeq,
    toSeq: gap.toSeq,
    reason: gap.reason,
    epoch: gap.epoch,
  };
}

/**
 * Maps a reset notice to the `tributary.v1.Reset` message; an unknown
 * epoch (a topic the gateway has never seen) is the empty string.
 */
export function toResetProto(reset: ResetNotice): ResetProto {
  return {
    topic: reset.topic,
    epoch: reset.epoch ?? "",
    reason: reset.reason,
  };
}

/** Encodes an envelope as one `tributary.v1.proto` `message` frame. */
export function encodeMessageProto(envelope: Envelope): Buffer {
  const value = toEnvelopeProto(envelope);
  return encodeServerFrame({ id: "", frame: { $case: "message", value } });
}

/** Encodes a gap or reset notice as one `tributary.v1.proto` frame. */
export function encodeNoticeProto(notice: GapNotice | ResetNotice): Buffer {
  const frame: ServerFrame["frame"] =
    notice.type === "gap"
      ? { $case: "gap", value: toGapProto(notice) }
      : { $case: "reset", value: toResetProto(notice) };
  return encodeServerFrame({ id: "", frame });
}

/** Encodes any server frame, as a Buffer over the encoder's own bytes. */
export function encodeServerFrame(frame: ServerFrame): Buffer {
  const bytes = ServerFrame.encode(frame).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** int64 fields take integers only; a codec may extract fractional ms. */
function wholeMs(ms: number): number {
  return Math.trunc(ms);
}

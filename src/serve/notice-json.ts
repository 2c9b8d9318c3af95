import { encodeGapJson } from "../codecs/index.js";
import type { GapNotice, ResetNotice } from "../topics/index.js";

/**
 * Encodes a reset notice as one `tributary.v1.json` frame:
 * `{"type":"reset","topic":…,"epoch":…,"reason":…}`, `epoch` left out
 * when the notice has none (a topic the gateway has never seen).
 */
export function encodeResetJson(reset: ResetNotice): Buffer {
  const epoch =
    reset.epoch === undefined ? "" : `,"epoch":${JSON.stringify(reset.epoch)}`;
  return Buffer.from(
    `{"type":"reset","topic":${JSON.stringify(reset.topic)}${epoch}` +
      `,"reason":${JSON.stringify(reset.reason)}}`,
  );
}

/** Encodes either notice as one `tributary.v1.json` frame. */
export function encodeNoticeJson(notice: GapNotice | ResetNotice): Buffer {
  return notice.type === "gap"
    ? encodeGapJson(notice)
    : encodeResetJson(notice);
}

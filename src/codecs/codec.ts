import type { RawFrame, SourceMessage } from "../envelope/index.js";

/** What a {@link Codec} made of one frame. */
export interface DecodeResult {
  /** The translated messages, in the order the frame holds them. */
  readonly messages: SourceMessage[];
  /** 1 when the frame was left out on purpose (`match` did not hold). */
  readonly skipped: number;
  /**
   * Why a frame or one of its messages could not be translated, one entry
   * per failure (`invalid JSON: …`, `topic "trades.{/symbol}": …`).
   */
  readonly failures: readonly string[];
}

/**
 * Translates one upstream frame. A codec never throws on bad input: every
 * problem of the frame ends up in {@link DecodeResult.failures}.
 */
export type Codec = (frame: RawFrame) => DecodeResult;

/**
 * A codec configuration that can never work: a malformed JSON Pointer, an
 * unbalanced topic template, a literal topic text no topic may contain.
 * Thrown by the compile functions; the config schema turns it into an issue
 * at the offending path.
 */
export class CodecSpecError extends Error {
  override readonly name = "CodecSpecError";
}

import type { RawFrame, SourceMessage } from "../envelope/index.js";
import type { Logger } from "../telemetry/index.js";
import type { Codec, DecodeResult } from "./codec.js";
import type { CodecSpec } from "./codec-schema.js";
import { createCodec } from "./create-codec.js";

/** Default of {@link TranslatorOptions.failureLogIntervalMs}. */
export const FAILURE_LOG_INTERVAL_MS = 10_000;

/** How much of a failing frame a log line shows, in characters. */
const FRAME_PREVIEW_CHARS = 120;

/** Counters of one translator, since it was created. */
export interface TranslatorStats {
  /** Frames handed to `translate`. */
  readonly frames: number;
  /** Messages produced. */
  readonly messages: number;
  /** Frames left out on purpose (their `match` did not hold). */
  readonly skipped: number;
  /** Failures: frames that could not be read, and messages that failed. */
  readonly failed: number;
}

/** Options of {@link createTranslator}. */
export interface TranslatorOptions {
  /**
   * Least time between two failure log lines; the failures in between are
   * counted and the next line reports them as `suppressed`. Default
   * {@link FAILURE_LOG_INTERVAL_MS}; 0 logs every failure.
   */
  readonly failureLogIntervalMs?: number;
  /** Clock in ms, for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** A source's codec with counters and rate-limited failure logging. */
export interface Translator {
  /**
   * Translates one frame into messages. Never throws: what cannot be
   * translated is counted in {@link stats} and logged at a sampled rate.
   */
  translate(frame: RawFrame): SourceMessage[];
  /** Live counters; read them, they change as frames come. */
  readonly stats: TranslatorStats;
}

/**
 * Creates the translator of source `sourceId`.
 *
 * The first failure is logged at once (warn, with `source` and `reason`);
 * after that at most one line per `failureLogIntervalMs`, carrying the
 * number of failures suppressed since the previous line, so that a garbage
 * feed cannot flood the log. Suppressed failures are reported by the next
 * line, so after a burst the count shows up with the next failure; the
 * stats are always exact.
 *
 * @throws CodecSpecError when the spec cannot be compiled (never for a
 * spec that passed `codecSchema`).
 */
export function createTranslator(
  spec: CodecSpec,
  sourceId: string,
  logger: Logger,
  options: TranslatorOptions = {},
): Translator {
  const codec = createCodec(spec, sourceId);
  const log = createFailureLog(sourceId, logger, options);
  const stats = { frames: 0, messages: 0, skipped: 0, failed: 0 };

  const translate = (frame: RawFrame): SourceMessage[] => {
    stats.frames += 1;
    const result = decodeSafely(codec, frame, sourceId, logger);
    stats.messages += result.messages.length;
    stats.skipped += result.skipped;
    stats.failed += result.failures.length;
    for (const reason of result.failures) {
      log(reason, frame);
    }
    return result.messages;
  };
  return { translate, stats };
}

/**
 * Runs the codec. Codecs do not throw by contract; should one break it,
 * the frame counts as failed (and the bug is logged as ours) rather than
 * the exception stopping the source.
 */
function decodeSafely(
  codec: Codec,
  frame: RawFrame,
  source: string,
  logger: Logger,
): DecodeResult {
  try {
    return codec(frame);
  } catch (err) {
    logger.error({ source, err }, "codec threw");
    return { messages: [], skipped: 0, failures: [`codec error: ${err}`] };
  }
}

type FailureLog = (reason: string, frame: RawFrame) => void;

function createFailureLog(
  source: string,
  logger: Logger,
  options: TranslatorOptions,
): FailureLog {
  const intervalMs = options.failureLogIntervalMs ?? FAILURE_LOG_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;

  return (reason, frame) => {
    const at = now();
    if (at - lastLoggedAt < intervalMs) {
      suppressed += 1;
      return;
    }
    const fields = { source, reason, frame: previewOf(frame), suppressed };
    logger.warn(fields, "frame not translated");
    lastLoggedAt = at;
    suppressed = 0;
  };
}

/**
 * The start of a frame as UTF-8 text, enough to recognise it in a log;
 * binary frames too, since they are decoded as UTF-8 JSON. The logger
 * escapes whatever control characters it holds.
 */
function previewOf(frame: RawFrame): string {
  // 4 bytes per character at most, so the cut is made on characters below.
  const head = frame.data.subarray(0, FRAME_PREVIEW_CHARS * 4);
  const text = head.toString("utf8");
  return text.length > FRAME_PREVIEW_CHARS
    ? `${text.slice(0, FRAME_PREVIEW_CHARS)}…`
    : text;
}

/**
 * Frame -> message translation (codecs) and envelope -> wire encoding.
 *
 * Sources build one translator per source with {@link createTranslator};
 * the config module nests {@link codecSchema} at `sources[i].codec`, which
 * compiles every pointer and template at config time; serving modules
 * encode envelopes with {@link encodeMessageJson} and
 * {@link encodeGapJson}.
 */

export type { Codec, DecodeResult } from "./codec.js";
export { CodecSpecError } from "./codec.js";
export type {
  CodecSpec,
  DataSpec,
  JsonCodecSpec,
  TextCodecSpec,
} from "./codec-schema.js";
export {
  codecSchema,
  jsonCodecSchema,
  TIME_UNITS,
  textCodecSchema,
} from "./codec-schema.js";
export { createCodec } from "./create-codec.js";
export { compileJsonCodec } from "./json-codec.js";
export type { PointerGetter } from "./json-pointer.js";
export { compilePointer } from "./json-pointer.js";
export { compileTextCodec } from "./text-codec.js";
export type { TopicResult, TopicTemplate } from "./topic-template.js";
export { compileTopicTemplate } from "./topic-template.js";
export type {
  Translator,
  TranslatorOptions,
  TranslatorStats,
} from "./translator.js";
export { createTranslator, FAILURE_LOG_INTERVAL_MS } from "./translator.js";
export type { WireGap } from "./wire-json.js";
export { encodeGapJson, encodeMessageJson } from "./wire-json.js";

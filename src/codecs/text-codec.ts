import { CONTENT_TYPE_TEXT } from "../envelope/index.js";
import { validateTopic } from "../topics/index.js";
import { type Codec, CodecSpecError } from "./codec.js";
import type { TextCodecSpec } from "./codec-schema.js";

/**
 * Compiles a `text` codec: every frame becomes one message on the fixed
 * topic, its bytes kept as they came (binary frames too) as `text/plain`.
 * It extracts no id, seq, time or key.
 *
 * @param sourceId becomes `source` of every message.
 * @throws CodecSpecError when the topic is not a valid topic.
 */
export function compileTextCodec(spec: TextCodecSpec, sourceId: string): Codec {
  const { topic } = spec;
  try {
    validateTopic(topic);
  } catch (err) {
    throw new CodecSpecError((err as Error).message);
  }
  return (frame) => ({
    messages: [
      {
        topic,
        source: sourceId,
        ingestTime: frame.receivedAt,
        data: frame.data,
        contentType: CONTENT_TYPE_TEXT,
      },
    ],
    skipped: 0,
    failures: [],
  });
}

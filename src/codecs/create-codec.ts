import type { Codec } from "./codec.js";
import type { CodecSpec } from "./codec-schema.js";
import { compileJsonCodec } from "./json-codec.js";
import { compileTextCodec } from "./text-codec.js";

/**
 * Compiles a source's codec spec (as `codecSchema` parsed it) into a
 * {@link Codec} for the source `sourceId`.
 *
 * @throws CodecSpecError when the spec cannot be compiled; a spec that
 * passed `codecSchema` always compiles.
 */
export function createCodec(spec: CodecSpec, sourceId: string): Codec {
  switch (spec.format) {
    case "json":
      return compileJsonCodec(spec, sourceId);
    case "text":
      return compileTextCodec(spec, sourceId);
  }
}

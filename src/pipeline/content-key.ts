import { createHash } from "node:crypto";
import type { SourceMessage } from "../envelope/index.js";

/**
 * The dedupe key of `dedupe.by: content`: a digest of the topic and the
 * payload, or of chosen top-level fields of the payload.
 *
 * SHA-1 because node:crypto has no fast non-cryptographic hash, and among
 * the digests it has SHA-1 measured fastest on small payloads (about 1 µs
 * for 200 bytes, MD5 and SHA-256 slower) while 160 bits make an accidental
 * collision inside a window of thousands impossible in practice. Deliberate
 * collisions do not matter here: whoever could craft them controls the feed
 * anyway. The digest is kept as base64, 27 characters a key.
 *
 * With `fields`, the picked fields are serialized canonically: in the order
 * given, a field absent from the payload left out (so absent and `null`
 * differ), and object keys inside the values sorted, so two vendors that
 * agree on those fields produce one key even when they order nested keys
 * differently or disagree on fields that are not listed. When the payload is
 * not a JSON object, or carries none of the fields, the raw bytes are hashed
 * instead: otherwise every such message of a topic would share one key and
 * all but the first would be dropped.
 *
 * @internal Used by the `content` dedupe only.
 */
export function contentKey(
  message: SourceMessage,
  fields: readonly string[] | undefined,
): string {
  const hash = createHash("sha1").update(message.topic).update("\u0000");
  const picked = fields === undefined ? undefined : pickFields(message, fields);
  hash.update(picked ?? message.data);
  return hash.digest("base64");
}

/** Canonical JSON of `fields` of the payload, or undefined to use bytes. */
function pickFields(
  message: SourceMessage,
  fields: readonly string[],
): string | undefined {
  let parts: string[];
  try {
    const payload: unknown = JSON.parse(message.data.toString("utf8"));
    if (!isPlainObject(payload)) {
      return undefined;
    }
    parts = fields
      .filter((field) => Object.hasOwn(payload, field))
      .map((field) => `${JSON.stringify(field)}:${canonical(payload[field])}`);
  } catch {
    // Not JSON, or nested deeper than the stack allows: hash the bytes.
    return undefined;
  }
  return parts.length === 0 ? undefined : `{${parts.join(",")}}`;
}

/** JSON text of a parsed JSON value with every object's keys sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(",")}]`;
  }
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

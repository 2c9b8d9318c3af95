import {
  CONTENT_TYPE_JSON,
  type RawFrame,
  type SourceMessage,
} from "../envelope/index.js";
import type { Codec, DecodeResult } from "./codec.js";
import type { JsonCodecSpec } from "./codec-schema.js";
import { describeValue } from "./describe-value.js";
import { compilePayload } from "./json-data.js";
import {
  createTimeConverter,
  type FieldConverter,
  FieldFailure,
  toSeq,
  toText,
} from "./json-fields.js";
import { compilePointer, type PointerGetter } from "./json-pointer.js";
import { compileTopicTemplate } from "./topic-template.js";

type Draft = { -readonly [K in keyof SourceMessage]: SourceMessage[K] };

/** Fills one field of a draft message; returns why it could not. */
type Step = (element: unknown, draft: Draft) => string | undefined;

/** Makes one message of one element, or says why it could not. */
type MessageBuilder = (element: unknown, ingestTime: number) => Draft | string;

/**
 * Compiles a `json` codec spec (already checked by `jsonCodecSchema`) into
 * a {@link Codec}. Every pointer, the topic template and the payload shape
 * are compiled here, once; a frame only runs the resulting closures.
 *
 * Per frame: parse it as UTF-8 JSON (binary frames too), test `match` on
 * the whole frame (a miss is skipped), pick the `each` elements (or the
 * frame itself), then build one message per element. A failing element is
 * reported and the others of the frame still pass. See `jsonCodecSchema`
 * for what each field accepts.
 *
 * @param sourceId becomes `source` of every message.
 * @throws CodecSpecError when the spec cannot be compiled.
 */
export function compileJsonCodec(spec: JsonCodecSpec, sourceId: string): Codec {
  const matches = compileMatch(spec.match ?? {});
  const elementsOf = compileEach(spec.each);
  const build = compileMessage(spec, sourceId);

  return (frame) => {
    const parsed = parseFrame(frame);
    if (parsed instanceof FieldFailure) {
      return failed(parsed.reason);
    }
    if (!matches(parsed)) {
      return { messages: [], skipped: 1, failures: [] };
    }
    const elements = elementsOf(parsed);
    if (typeof elements === "string") {
      return failed(elements);
    }
    return buildAll(build, elements, frame.receivedAt);
  };
}

function buildAll(
  build: MessageBuilder,
  elements: readonly unknown[],
  ingestTime: number,
): DecodeResult {
  const messages: SourceMessage[] = [];
  const failures: string[] = [];
  for (const element of elements) {
    const message = build(element, ingestTime);
    if (typeof message === "string") {
      failures.push(message);
    } else {
      messages.push(message);
    }
  }
  return { messages, skipped: 0, failures };
}

function parseFrame(frame: RawFrame): unknown {
  let text = frame.data.toString("utf8");
  // A byte order mark is legal before UTF-8 JSON, but JSON.parse refuses it.
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    return new FieldFailure(`invalid JSON: ${(err as Error).message}`);
  }
}

function failed(reason: string): DecodeResult {
  return { messages: [], skipped: 0, failures: [reason] };
}

function compileMatch(
  match: Readonly<Record<string, unknown>>,
): (frame: unknown) => boolean {
  const tests = Object.entries(match).map(
    ([pointer, expected]) => [compilePointer(pointer), expected] as const,
  );
  return (frame) => tests.every(([get, expected]) => get(frame) === expected);
}

function compileEach(
  each: string | undefined,
): (frame: unknown) => readonly unknown[] | string {
  if (each === undefined) {
    return (frame) => [frame];
  }
  const get = compilePointer(each);
  return (frame) => {
    const found = get(frame);
    if (Array.isArray(found)) {
      return found;
    }
    return `each: ${each} is ${describeValue(found)}, expected an array`;
  };
}

function compileMessage(spec: JsonCodecSpec, source: string): MessageBuilder {
  const steps = [
    topicStep(spec.topic),
    ...optionalStep("id", spec.id, toText, true),
    ...optionalStep("upstreamSeq", spec.seq, toSeq, true),
    ...optionalStep("time", spec.time, createTimeConverter(spec.timeUnit)),
    ...optionalStep("key", spec.key, toText, true),
    dataStep(spec),
  ];
  return (element, ingestTime) => {
    const draft: Draft = {
      topic: "",
      source,
      ingestTime,
      data: EMPTY,
      contentType: CONTENT_TYPE_JSON,
    };
    for (const step of steps) {
      const failure = step(element, draft);
      if (failure !== undefined) {
        return failure;
      }
    }
    return draft;
  };
}

const EMPTY = Buffer.alloc(0);

function topicStep(template: string): Step {
  const build = compileTopicTemplate(template);
  return (element, draft) => {
    const result = build(element);
    if (!result.ok) {
      return `topic "${template}": ${result.error}`;
    }
    draft.topic = result.topic;
    return undefined;
  };
}

/** Names of the config fields, for failure messages. */
const CONFIG_NAMES = { id: "id", upstreamSeq: "seq", time: "time", key: "key" };

/**
 * The step of an optional field, or none when the spec leaves it out.
 * `required`: a missing value fails the message instead of leaving the
 * field out.
 */
function optionalStep<F extends keyof typeof CONFIG_NAMES>(
  field: F,
  pointer: string | undefined,
  convert: FieldConverter<Draft[F]>,
  required = false,
): Step[] {
  if (pointer === undefined) {
    return [];
  }
  const get: PointerGetter = compilePointer(pointer);
  const name = CONFIG_NAMES[field];
  const step: Step = (element, draft) => {
    const found = get(element);
    if (found === undefined) {
      return required ? `${name}: ${pointer} is missing` : undefined;
    }
    const value = convert(found);
    if (value instanceof FieldFailure) {
      return `${name}: ${pointer} ${value.reason}`;
    }
    draft[field] = value;
    return undefined;
  };
  return [step];
}

function dataStep(spec: JsonCodecSpec): Step {
  const build = compilePayload(spec.data);
  // Only a pointer can find nothing: an object of fields is always built.
  const missing = `data: ${String(spec.data)} is missing`;
  return (element, draft) => {
    const payload = build(element);
    if (payload === undefined) {
      return missing;
    }
    draft.data = Buffer.from(JSON.stringify(payload));
    return undefined;
  };
}

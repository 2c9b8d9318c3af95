import { z } from "zod";
import { validateTopic } from "../topics/index.js";
import { compilePointer } from "./json-pointer.js";
import { compileTopicTemplate } from "./topic-template.js";

/*
 * Every pointer and template is compiled here once, at config time, so a
 * codec that can never work is reported by path (`sources[1].codec.topic`)
 * before the gateway starts, and never fails at the first frame.
 */

/** Adds an issue at `path` when `compile` throws. */
function tryCompile(
  ctx: z.RefinementCtx,
  compile: () => unknown,
  path: PropertyKey[] = [],
): void {
  try {
    compile();
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message, path });
  }
}

/** A JSON Pointer (RFC 6901): "" or "/" for the whole value, "/a/0/b". */
const pointer = z
  .string()
  .superRefine((p, ctx) => tryCompile(ctx, () => compilePointer(p)));

/** Output payload: a pointer, or an object whose leaves are pointers. */
export type DataSpec = string | { readonly [field: string]: DataSpec };

/*
 * Walked by hand rather than as a recursive zod union: a union reports a
 * bad leaf as "Invalid input" at `data`, where this names `data.price`.
 */
const dataSpec = z
  .custom<DataSpec>()
  .superRefine((spec, ctx) => checkDataSpec(spec, [], ctx));

function checkDataSpec(
  spec: unknown,
  path: PropertyKey[],
  ctx: z.RefinementCtx,
): void {
  if (typeof spec === "string") {
    tryCompile(ctx, () => compilePointer(spec), path);
    return;
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    const message =
      "expected a JSON Pointer or an object of output fields " +
      "whose values are JSON Pointers";
    ctx.addIssue({ code: "custom", message, path });
    return;
  }
  const fields = Object.entries(spec);
  if (fields.length === 0) {
    const message = "an object of output fields needs at least one field";
    ctx.addIssue({ code: "custom", message, path });
  }
  for (const [field, value] of fields) {
    checkDataSpec(value, [...path, field], ctx);
  }
}

/** How a numeric `time` field is counted; strings are parsed as ISO 8601. */
export const TIME_UNITS = ["ms", "s", "us", "ns"] as const;

const matchValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/*
 * Keys are checked by the record's own refinement: a key schema would
 * report "Invalid key in record" and hide the pointer's problem.
 */
const matchSpec = z.record(z.string(), matchValue).superRefine((m, ctx) => {
  for (const key of Object.keys(m)) {
    tryCompile(ctx, () => compilePointer(key), [key]);
  }
});

/**
 * The `json` codec: JSON Pointers and a topic template, compiled once into
 * a function (see `compileJsonCodec`).
 */
export const jsonCodecSchema = z.strictObject({
  format: z.literal("json"),
  /**
   * Topic template: literal text with `{/pointer}` substitutions, each a
   * string or a number without "." in the message (see
   * `compileTopicTemplate`). A message whose topic cannot be built fails.
   */
  topic: z
    .string()
    .min(1)
    .superRefine((t, ctx) => tryCompile(ctx, () => compileTopicTemplate(t))),
  /**
   * Pointer to the upstream message id, for `dedupe.by: id`: a string, or
   * a number turned into its decimal text. Missing fails the message.
   */
  id: pointer.optional(),
  /**
   * Pointer to the upstream sequence number, for `dedupe.by: seq`: a
   * non-negative safe integer, or a string of decimal digits. Missing fails
   * the message.
   */
  seq: pointer.optional(),
  /**
   * Pointer to the upstream event time: a number counted in `timeUnit`, or
   * an ISO 8601 date-time string with a zone (`Z` or `+01:00`). It becomes
   * whole ms since the Unix epoch. Missing leaves the time unknown; present
   * but unreadable fails the message.
   */
  time: pointer.optional(),
  /** Unit of a numeric `time`; default `ms`. */
  timeUnit: z.enum(TIME_UNITS).default("ms"),
  /**
   * Pointer to the conflation key: a string, or a number as its decimal
   * text. Missing fails the message.
   */
  key: pointer.optional(),
  /**
   * The payload, serialized as JSON: a pointer ("/" keeps the whole
   * message; missing fails the message), or an object of output fields
   * whose leaves are pointers and which may nest. An output field whose
   * pointer finds nothing is left out of the payload. Default "/".
   */
  data: dataSpec.default("/"),
  /**
   * Frames pass only when every pointer here equals its value; the others
   * are counted as skipped. Evaluated on the whole frame, before `each`.
   */
  match: matchSpec.optional(),
  /**
   * Pointer to an array: each element is one message, and the other
   * pointers (topic, id, seq, time, key, data) are read from the element.
   * A frame where it finds no array fails.
   */
  each: pointer.optional(),
});

/** The `text` codec: each frame is one `text/plain` message. */
export const textCodecSchema = z.strictObject({
  format: z.literal("text"),
  /** Every frame becomes one message on this fixed topic. */
  topic: z
    .string()
    .min(1)
    .superRefine((t, ctx) => tryCompile(ctx, () => validateTopic(t))),
});

/**
 * A source's `codec`, told apart by `format`. Compiles every pointer and
 * template while parsing, so a spec it accepts always compiles.
 */
export const codecSchema = z.discriminatedUnion("format", [
  jsonCodecSchema,
  textCodecSchema,
]);

/** A parsed `json` codec spec, defaults filled in. */
export type JsonCodecSpec = z.infer<typeof jsonCodecSchema>;
/** A parsed `text` codec spec. */
export type TextCodecSpec = z.infer<typeof textCodecSchema>;
/** A parsed codec spec of any format. */
export type CodecSpec = z.infer<typeof codecSchema>;

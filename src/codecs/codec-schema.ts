import { z } from "zod";

/** A JSON Pointer (RFC 6901): "" or "/" for the whole value, "/a/0/b". */
const pointer = z.string().refine((p) => p === "" || p.startsWith("/"), {
  message: 'a JSON Pointer starts with "/" (use "/" for the whole frame)',
});

/** Output payload: a pointer, or an object whose leaves are pointers. */
export type DataSpec = string | { readonly [field: string]: DataSpec };

const dataSpec: z.ZodType<DataSpec> = z.lazy(() =>
  z.union([pointer, z.record(z.string().min(1), dataSpec)]),
);

/** How a numeric `time` field is counted; strings are parsed as ISO 8601. */
export const TIME_UNITS = ["ms", "s", "us", "ns"] as const;

export const jsonCodecSchema = z.strictObject({
  format: z.literal("json"),
  /** Topic template: literal text with `{/pointer}` substitutions. */
  topic: z.string().min(1),
  /** Pointer to the upstream message id, for `dedupe.by: id`. */
  id: pointer.optional(),
  /** Pointer to the upstream sequence number, for `dedupe.by: seq`. */
  seq: pointer.optional(),
  /** Pointer to the upstream event time. */
  time: pointer.optional(),
  timeUnit: z.enum(TIME_UNITS).default("ms"),
  /** Pointer to the conflation key. */
  key: pointer.optional(),
  /** The payload: "/" keeps the whole message. */
  data: dataSpec.default("/"),
  /**
   * Frames pass only when every pointer here equals its value; the others
   * are counted as skipped. Evaluated on the whole frame, before `each`.
   */
  match: z
    .record(pointer, z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional(),
  /**
   * Pointer to an array: each element is one message, and the other
   * pointers (topic, id, seq, time, key, data) are read from the element.
   */
  each: pointer.optional(),
});

export const textCodecSchema = z.strictObject({
  format: z.literal("text"),
  /** Every frame becomes one message on this fixed topic. */
  topic: z.string().min(1),
});

export const codecSchema = z.discriminatedUnion("format", [
  jsonCodecSchema,
  textCodecSchema,
]);

export type JsonCodecSpec = z.infer<typeof jsonCodecSchema>;
export type TextCodecSpec = z.infer<typeof textCodecSchema>;
export type CodecSpec = z.infer<typeof codecSchema>;

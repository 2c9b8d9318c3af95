import type { TIME_UNITS } from "./codec-schema.js";
import { describeValue } from "./describe-value.js";

/**
 * Why one value could not be read. A class rather than a string, so that
 * a converter can return a string value and a failure from one function.
 */
export class FieldFailure {
  constructor(readonly reason: string) {}
}

/** Turns a value a pointer found into a field of the message. */
export type FieldConverter<T> = (value: unknown) => T | FieldFailure;

/** Unit of a numeric upstream time. */
export type TimeUnit = (typeof TIME_UNITS)[number];

/** Milliseconds per unit of a numeric time, applied by multiplication. */
const MS_PER_UNIT: Readonly<Record<TimeUnit, number>> = {
  ms: 1,
  s: 1_000,
  us: 1 / 1_000,
  ns: 1 / 1_000_000,
};

/** The farthest a Date reaches from the epoch (ECMA-262 section 21.4.1). */
const MAX_TIME_MS = 8.64e15;

/** A date-time with a zone; a time without one would be read as local. */
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const DECIMAL_DIGITS = /^[0-9]+$/;

/** An id or key: a string as is, a finite number as its decimal text. */
export const toText: FieldConverter<string> = (value) => {
  if (typeof value === "string") {
    return value;
  }
  if (typeof value === "number" && Number.isFinite(value)) {
    return String(value);
  }
  return invalid(value, "a string or a number");
};

/** A sequence: a non-negative safe integer, or a string of digits. */
export const toSeq: FieldConverter<number> = (value) => {
  const seq =
    typeof value === "string" && DECIMAL_DIGITS.test(value)
      ? Number(value)
      : value;
  if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) {
    return seq;
  }
  return invalid(value, "a non-negative integer");
};

/**
 * Creates the converter of an event time: a number counted in `unit`, or
 * an ISO 8601 date-time with a zone, to whole ms since the Unix epoch.
 * Rounded rather than truncated, so that `1764700000.123` seconds (which
 * floating point holds as ...122.9999) stays ...123 ms.
 */
export function createTimeConverter(unit: TimeUnit): FieldConverter<number> {
  const msPerUnit = MS_PER_UNIT[unit];
  return (value) => {
    let ms = Number.NaN;
    if (typeof value === "number") {
      ms = Math.round(value * msPerUnit);
    } else if (typeof value === "string" && ISO_DATE_TIME.test(value)) {
      ms = Date.parse(value);
    }
    if (Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS) {
      return ms;
    }
    const expected = `a number of ${unit} or an ISO 8601 date-time with a zone`;
    return invalid(value, expected);
  };
}

function invalid(value: unknown, expected: string): FieldFailure {
  return new FieldFailure(`is ${describeValue(value)}, expected ${expected}`);
}

/**
 * Names a JSON value for a failure message: `null`, `an array`,
 * `an object`, or the scalar itself (`true`, `12`, `"abc"`), cut to 40
 * characters so that a huge upstream string cannot bloat the log.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return "missing";
  }
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  if (typeof value === "object") {
    return "an object";
  }
  const shown =
    typeof value === "string" ? JSON.stringify(value) : String(value);
  return shown.length > 40 ? `${shown.slice(0, 39)}…` : shown;
}

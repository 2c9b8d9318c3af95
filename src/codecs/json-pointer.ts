import { CodecSpecError } from "./codec.js";

/** Reads the value a JSON Pointer points at; `undefined` when missing. */
export type PointerGetter = (value: unknown) => unknown;

/** An array index token: "0", or digits without a leading zero (RFC 6901). */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** A "~" not followed by "0" or "1", which RFC 6901 does not define. */
const BAD_ESCAPE = /~(?![01])/;

const whole: PointerGetter = (value) => value;

/**
 * Compiles a JSON Pointer (RFC 6901) into a getter.
 *
 * Both `""` and `"/"` mean the whole value: `"/"` reads as "the root" in a
 * config file, so the gateway gives up RFC 6901's reading of it (the member
 * named by the empty string). Reference tokens unescape `~1` to `/` and
 * `~0` to `~`. On an array a token must be a canonical index (`"0"`, `"12"`);
 * `"-"`, `"01"` and names read as missing. Only own members are read, so
 * `/constructor` on a plain object is missing, not `Object`.
 *
 * @throws CodecSpecError when the pointer does not start with "/" or holds a
 * "~" that is not `~0` or `~1`.
 */
export function compilePointer(pointer: string): PointerGetter {
  if (pointer === "" || pointer === "/") {
    return whole;
  }
  if (!pointer.startsWith("/")) {
    throw new CodecSpecError(
      `invalid JSON Pointer "${pointer}": it must start with "/" ` +
        '(use "/" for the whole value)',
    );
  }
  if (BAD_ESCAPE.test(pointer)) {
    throw new CodecSpecError(
      `invalid JSON Pointer "${pointer}": "~" must be followed by 0 or 1 ` +
        '("~0" is "~", "~1" is "/")',
    );
  }
  const tokens = pointer.slice(1).split("/").map(unescapeToken);
  if (tokens.length === 1) {
    const [token] = tokens as [string];
    return (value) => step(value, token);
  }
  return (value) => {
    let current = value;
    for (const token of tokens) {
      current = step(current, token);
      if (current === undefined) {
        return undefined;
      }
    }
    return current;
  };
}

function unescapeToken(token: string): string {
  // "~1" first: RFC 6901 section 4, so that "~01" becomes "~1", not "/".
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

function step(value: unknown, token: string): unknown {
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  if (Array.isArray(value)) {
    return ARRAY_INDEX.test(token) ? value[Number(token)] : undefined;
  }
  return Object.hasOwn(value, token)
    ? (value as Record<string, unknown>)[token]
    : undefined;
}

import { z } from "zod";

/*
 * Value schemas every part of the config shares. The proxy's pool schema
 * uses them too: it imports this file directly, since the config module's
 * index imports the pool schema and going through it would be a cycle.
 */

/** An id of a source, group, pool or backend. */
export const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, {
  message:
    "an id is 1 to 64 letters, digits, '_', '.', ':' or '-', " +
    "starting with a letter or digit",
});

/** A ws:// or wss:// URL. */
export const wsUrlSchema = z.string().refine(
  (value) => {
    try {
      const { protocol } = new URL(value);
      return protocol === "ws:" || protocol === "wss:";
    } catch {
      return false;
    }
  },
  { message: "expected a ws:// or wss:// URL" },
);

/** A frame to send upstream: a string as is, anything else as JSON. */
export const outgoingFrameSchema = z.union([
  z.string(),
  z.record(z.string(), z.unknown()),
  z.array(z.unknown()),
]);

import type { DataSpec } from "./codec-schema.js";
import { compilePointer } from "./json-pointer.js";

/** Builds the canonical payload of one message; `undefined` when missing. */
export type PayloadBuilder = (element: unknown) => unknown;

/**
 * Compiles a `data` spec. A pointer reads one value (`"/"` the whole
 * element). An object of output fields builds a fresh object with those
 * fields in the order the config lists them, so that two vendors' formats
 * serialize to the same bytes; a leaf whose pointer finds nothing is left
 * out, and a nested object is always present, even when all of its leaves
 * are missing.
 */
export function compilePayload(spec: DataSpec): PayloadBuilder {
  if (typeof spec === "string") {
    return compilePointer(spec);
  }
  const fields = Object.entries(spec).map(
    ([name, child]) => [name, compilePayload(child)] as const,
  );
  // A "__proto__" field would set the prototype when assigned; defining it
  // costs more, so only a spec that has one pays for it.
  const assign = fields.some(([name]) => name === "__proto__")
    ? defineField
    : setField;
  return (element) => {
    const payload: Record<string, unknown> = {};
    for (const [name, build] of fields) {
      const value = build(element);
      if (value !== undefined) {
        assign(payload, name, value);
      }
    }
    return payload;
  };
}

function setField(
  target: Record<string, unknown>,
  name: string,
  value: unknown,
) {
  target[name] = value;
}

function defineField(
  target: Record<string, unknown>,
  name: string,
  value: unknown,
) {
  Object.defineProperty(target, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * A scenario with its own runner (4: capacity, 8: pipeline cost): its
 * table as Markdown, its goals, and what it measured, as the JSON keeps it.
 */
import type { GoalLine } from "./report.js";

/** One scenario's printed result. */
export interface Section {
  readonly id: string;
  readonly markdown: string;
  readonly goals: readonly GoalLine[];
  readonly data: unknown;
}

/** "met" or "missed by N%" for `value` against an at-most `bound`. */
export function atMost(value: number, bound: number): string {
  if (value <= bound) return "met";
  return `missed by ${(((value - bound) / bound) * 100).toFixed(0)}%`;
}

/** "met" or "missed by N%" for `value` against an at-least `bound`. */
export function atLeast(value: number, bound: number): string {
  if (value >= bound) return "met";
  return `missed by ${(((bound - value) / bound) * 100).toFixed(0)}%`;
}

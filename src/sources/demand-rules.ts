import { compilePointer, compileTopicTemplate } from "../codecs/index.js";
import {
  matchesPattern,
  patternsOverlap,
  validatePattern,
} from "../topics/index.js";

/** A frame as configured: a string as is, anything else as JSON. */
export type FrameSpec = string | Readonly<Record<string, unknown>> | unknown[];

/** One `onDemand.rules[]` entry as configured. */
export interface DemandRuleSpec {
  readonly topics: string;
  readonly subscribe: FrameSpec;
  readonly unsubscribe?: FrameSpec;
}

/** The `onDemand.rejection` block as configured. */
export interface RejectionSpec {
  readonly match: Readonly<Record<string, unknown>>;
  readonly topic: string;
  readonly reason?: string;
}

/** What a source's rules make of one topic. */
export interface DemandFrames {
  readonly subscribe: string;
  /** Undefined when the rule has no unsubscribe frame. */
  readonly unsubscribe: string | undefined;
}

/** An upstream frame read as a rejection of one topic. */
export interface Rejection {
  readonly topic: string;
  readonly reason: string;
}

/** Printable ASCII that JSON writes as it is (no quote, no backslash). */
const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** Longest upstream reason kept; the rest of a long error frame is cut. */
const MAX_REASON_LENGTH = 300;

/**
 * `{topic}` is the whole topic, `{1}` to `{16}` one of its tokens,
 * counted from 1. Any other text, braces included, is sent as written.
 */
const PLACEHOLDER = /\{(topic|1[0-6]|[1-9])\}/g;

/**
 * A source's on-demand rules, compiled: which topics they cover and the
 * frames that subscribe and unsubscribe each one. The first rule whose
 * `topics` pattern matches a topic decides its frames.
 */
export class DemandRules {
  readonly #rules: readonly DemandRuleSpec[];

  constructor(rules: readonly DemandRuleSpec[]) {
    this.#rules = rules;
  }

  /** True when a rule covers the valid `topic`. */
  covers(topic: string): boolean {
    return this.#ruleFor(topic) !== undefined;
  }

  /**
   * True when some topic matching the valid `pattern` is covered: a
   * client's wildcard that overlaps what this source serves on demand.
   */
  overlaps(pattern: string): boolean {
    return this.#rules.some((rule) => patternsOverlap(rule.topics, pattern));
  }

  /** The frames of a covered topic; undefined when no rule covers it. */
  framesFor(topic: string): DemandFrames | undefined {
    const rule = this.#ruleFor(topic);
    if (rule === undefined) return undefined;
    const tokens = topic.split(".");
    return {
      subscribe: renderFrame(rule.subscribe, topic, tokens),
      unsubscribe:
        rule.unsubscribe === undefined
          ? undefined
          : renderFrame(rule.unsubscribe, topic, tokens),
    };
  }

  #ruleFor(topic: string): DemandRuleSpec | undefined {
    return this.#rules.find((rule) => matchesPattern(rule.topics, topic));
  }
}

/**
 * Checks that every placeholder of `frame` names a token that each topic
 * matching `pattern` has: `{3}` under `trades.*` cannot be filled.
 *
 * @throws Error naming the placeholder and the pattern.
 */
export function checkFrameTemplate(frame: FrameSpec, pattern: string): void {
  validatePattern(pattern);
  const tokens = pattern.split(".").length;
  for (const text of stringsOf(frame)) {
    for (const [placeholder, name] of text.matchAll(PLACEHOLDER)) {
      if (name === "topic" || Number(name) <= tokens) continue;
      throw new Error(
        `${placeholder} names token ${name}, but a topic matching ` +
          `"${pattern}" may have only ${tokens}`,
      );
    }
  }
}

/**
 * Compiles the `rejection` block into a reader of upstream frames: it
 * answers the topic and reason of a frame that matches, and undefined for
 * any other frame.
 *
 * @throws CodecSpecError on a bad pointer or topic template.
 */
export function compileRejection(
  spec: RejectionSpec,
): (frame: Buffer) => Rejection | undefined {
  const tests = Object.entries(spec.match).map(
    ([pointer, expected]) => [compilePointer(pointer), expected] as const,
  );
  // Most frames are data, not rejections. A string value of `match` made
  // of plain printable ASCII appears in a matching frame's bytes exactly
  // as JSON writes it, so a frame without it is passed over unparsed.
  const needles = Object.values(spec.match)
    .filter((v): v is string => typeof v === "string" && PLAIN.test(v))
    .map((v) => Buffer.from(JSON.stringify(v)));
  const topicOf = compileTopicTemplate(spec.topic);
  const reasonOf =
    spec.reason === undefined ? undefined : compilePointer(spec.reason);
  return (frame) => {
    if (!needles.every((needle) => frame.includes(needle))) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(frame.toString("utf8"));
    } catch {
      return undefined;
    }
    if (!tests.every(([get, expected]) => get(value) === expected)) {
      return undefined;
    }
    const topic = topicOf(value);
    if (!topic.ok) return undefined;
    const found = reasonOf?.(value);
    const reason =
      typeof found === "string" || typeof found === "number"
        ? String(found)
        : frame.toString("utf8");
    return { topic: topic.topic, reason: reason.slice(0, MAX_REASON_LENGTH) };
  };
}

/** The text of `frame` with its placeholders filled from `topic`. */
function renderFrame(
  frame: FrameSpec,
  topic: string,
  tokens: readonly string[],
): string {
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (_match, name: string) =>
      name === "topic" ? topic : (tokens[Number(name) - 1] ?? ""),
    );
  if (typeof frame === "string") return fill(frame);
  // Filled in the parsed value and serialized after, so a token can never
  // break the JSON around it.
  return JSON.stringify(mapStrings(frame, fill));
}

function mapStrings(value: unknown, fill: (text: string) => string): unknown {
  if (typeof value === "string") return fill(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fill));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = mapStrings(item, fill);
    }
    return out;
  }
  return value;
}

function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === "string") {
    yield value;
  } else if (Array.isArray(value)) {
    for (const item of value) yield* stringsOf(item);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) yield* stringsOf(item);
  }
}

/**
 * Topic names and subscription patterns. The syntax is that of NATS subjects
 * so that cluster mode can map topics to subjects one to one: tokens joined
 * by `.`, with `*` standing for exactly one token and a final `>` for one or
 * more.
 */

/** Most tokens a topic or pattern may have. */
export const MAX_TOPIC_TOKENS = 16;

/** Most characters (UTF-16 code units) one token may have. */
export const MAX_TOKEN_LENGTH = 64;

/** Matches exactly one token of a topic. */
const ONE_TOKEN = "*";

/** As the last token of a pattern, matches one or more tokens. */
const REST_TOKENS = ">";

/** Longest piece of untrusted input quoted in an error message. */
const MAX_QUOTED_LENGTH = 80;

/**
 * Which kind of name failed: `INVALID_TOPIC` for a topic (a name messages
 * are published on), `INVALID_PATTERN` for a subscription pattern. The codes
 * are the ones the client protocol puts in its `error` frames.
 */
export type TopicErrorCode = "INVALID_TOPIC" | "INVALID_PATTERN";

/** A topic or pattern that breaks the syntax, with the culprit named. */
export class TopicError extends Error {
  override readonly name = "TopicError";
  /** Whether a topic or a pattern was rejected. */
  readonly code: TopicErrorCode;
  /** The whole rejected topic or pattern. */
  readonly input: string;
  /** The offending token, when one token is at fault. */
  readonly token?: string;
  /** 0-based index of {@link token}; messages count from 1. */
  readonly index?: number;

  /**
   * Meant for this module's validators; other modules receive TopicErrors
   * rather than build them, so that messages stay uniform.
   */
  constructor(
    code: TopicErrorCode,
    message: string,
    details: { input: string; token?: string; index?: number },
  ) {
    super(message);
    this.code = code;
    this.input = details.input;
    if (details.token !== undefined) this.token = details.token;
    if (details.index !== undefined) this.index = details.index;
  }
}

/** Why validation failed, without the cost of an Error until one is wanted. */
interface Fault {
  /** 0-based index of the offending token; absent when the whole is. */
  readonly index?: number;
  readonly token?: string;
  /** The rule broken, naming the token and its 1-based position. */
  readonly rule: string;
}

/**
 * Throws a {@link TopicError} unless `topic` is 1 to 16 tokens joined by `.`,
 * each 1 to 64 ASCII letters, digits, `-`, `_`, `:` or `@`.
 */
export function validateTopic(topic: string): void {
  const fault = findFault(topic, false);
  if (fault !== undefined) throw toError("INVALID_TOPIC", topic, fault);
}

/**
 * Throws a {@link TopicError} unless `pattern` is a valid topic in which any
 * token may be `*` and the last token may be `>`.
 */
export function validatePattern(pattern: string): void {
  const fault = findFault(pattern, true);
  if (fault !== undefined) throw toError("INVALID_PATTERN", pattern, fault);
}

/** True when `s` is a string that {@link validateTopic} accepts. */
export function isValidTopic(s: unknown): s is string {
  return typeof s === "string" && findFault(s, false) === undefined;
}

/** True when `s` is a string that {@link validatePattern} accepts. */
export function isValidPattern(s: unknown): s is string {
  return typeof s === "string" && findFault(s, true) === undefined;
}

/**
 * True when a valid `pattern` has a `*` or `>` token, so that it can match
 * more than the one topic spelled like it.
 */
export function isWildcardPattern(pattern: string): boolean {
  // In a valid pattern these characters only ever appear as whole tokens.
  return pattern.includes(ONE_TOKEN) || pattern.includes(REST_TOKENS);
}

/**
 * True when the valid `topic` matches the valid `pattern`. A plain reference
 * implementation that splits both on every call: fine for listings and
 * tests; the fan-out path uses {@link SubscriptionIndex} instead.
 */
export function matchesPattern(pattern: string, topic: string): boolean {
  const want = pattern.split(".");
  const have = topic.split(".");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === REST_TOKENS) return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== ONE_TOKEN && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

/**
 * True when some topic matches both valid patterns: `trades.*` and
 * `*.BTC-USD` overlap, `trades.*` and `book.>` do not. A topic is a
 * pattern without wildcards, so this also answers {@link matchesPattern}.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < left.length && i < right.length; i++) {
    // ">" takes one or more tokens, and the other side has one here.
    if (left[i] === REST_TOKENS || right[i] === REST_TOKENS) return true;
    if (left[i] === ONE_TOKEN || right[i] === ONE_TOKEN) continue;
    if (left[i] !== right[i]) return false;
  }
  return left.length === right.length;
}

/**
 * Scans `input` once, token by token, without allocating unless it fails:
 * topics are validated on the ingest path.
 */
function findFault(input: string, isPattern: boolean): Fault | undefined {
  if (input.length === 0) return { rule: "it is empty" };
  let start = 0;
  for (let index = 0; ; index++) {
    const dot = input.indexOf(".", start);
    const end = dot === -1 ? input.length : dot;
    if (index === MAX_TOPIC_TOKENS) return tooManyTokens(input, start, end);
    const fault = checkToken(input, isPattern, start, end, index);
    if (fault !== undefined || dot === -1) return fault;
    start = dot + 1;
  }
}

/** Checks the token `input[start, end)`, the `index`th of its name. */
function checkToken(
  input: string,
  isPattern: boolean,
  start: number,
  end: number,
  index: number,
): Fault | undefined {
  const length = end - start;
  const position = index + 1;
  if (length === 0) {
    return { index, token: "", rule: `empty token at position ${position}` };
  }
  if (length > MAX_TOKEN_LENGTH) {
    const token = input.slice(start, end);
    const rule =
      `token ${quote(token)} is ${length} characters long, ` +
      `at most ${MAX_TOKEN_LENGTH} (token ${position})`;
    return { index, token, rule };
  }
  for (let i = start; i < end; i++) {
    const code = input.charCodeAt(i);
    if (code < 128 && TOKEN_CHARS[code] === 1) continue;
    const token = input.slice(start, end);
    const char = String.fromCodePoint(input.codePointAt(i) ?? code);
    const isLast = end === input.length;
    const rule = judgeCharacter(char, token, isPattern, isLast, position);
    return rule === undefined ? undefined : { index, token, rule };
  }
  return undefined;
}

/**
 * Judges `char`, the first character of `token` that is not a plain token
 * character: undefined when it is a wildcard where a wildcard may stand,
 * otherwise the rule it breaks.
 */
function judgeCharacter(
  char: string,
  token: string,
  isPattern: boolean,
  isLast: boolean,
  position: number,
): string | undefined {
  const at = `(token ${position})`;
  if (char !== ONE_TOKEN && char !== REST_TOKENS) {
    return (
      `invalid character ${JSON.stringify(char)} in ${quote(token)} ${at}; ` +
      'a token is ASCII letters, digits, "-", "_", ":" and "@"'
    );
  }
  if (!isPattern) return `wildcard "${char}" is not allowed in a topic ${at}`;
  if (token.length !== 1) {
    return `"${char}" must be a whole token, not part of ${quote(token)} ${at}`;
  }
  if (char === REST_TOKENS && !isLast) {
    return `"${REST_TOKENS}" must be the last token ${at}`;
  }
  return undefined;
}

/** The fault of a name whose token `input[start, end)` is one too many. */
function tooManyTokens(input: string, start: number, end: number): Fault {
  const count = input.split(".").length;
  const token = input.slice(start, end);
  const rule =
    `${count} tokens, at most ${MAX_TOPIC_TOKENS} ` +
    `(token ${MAX_TOPIC_TOKENS + 1} ${quote(token)} is the first extra)`;
  return { index: MAX_TOPIC_TOKENS, token, rule };
}

/** Builds the error, e.g. `invalid pattern "a.>.b": ">" must be ...`. */
function toError(code: TopicErrorCode, input: string, fault: Fault) {
  const kind = code === "INVALID_TOPIC" ? "topic" : "pattern";
  const message = `invalid ${kind} ${quote(input)}: ${fault.rule}`;
  const { token, index } = fault;
  return new TopicError(code, message, { input, token, index });
}

/** Quotes untrusted input for a message: escaped, and cut when long. */
function quote(s: string): string {
  if (s.length <= MAX_QUOTED_LENGTH) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, MAX_QUOTED_LENGTH))}…`;
}

/** 1 for each ASCII code allowed in a token: letters, digits, -, _, :, @. */
const TOKEN_CHARS = buildTokenChars();

function buildTokenChars(): Uint8Array {
  const table = new Uint8Array(128);
  const allowed =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:@";
  for (let i = 0; i < allowed.length; i++) table[allowed.charCodeAt(i)] = 1;
  return table;
}

import { isValidTopic, validateTopic } from "../topics/index.js";
import { CodecSpecError } from "./codec.js";
import { describeValue } from "./describe-value.js";
import { compilePointer, type PointerGetter } from "./json-pointer.js";

/** The topic a template made of one value, or why it could not. */
export type TopicResult =
  | { readonly ok: true; readonly topic: string }
  | { readonly ok: false; readonly error: string };

/** A compiled topic template: builds the topic of one message. */
export type TopicTemplate = (value: unknown) => TopicResult;

/** One piece of a template: literal text or a pointer substitution. */
type Part =
  | { readonly t: "text"; readonly text: string }
  | {
      readonly t: "pointer";
      readonly pointer: string;
      readonly get: PointerGetter;
    };

/**
 * Compiles a topic template such as `"trades.{/symbol}"` or
 * `"book.{/venue}.{/instrument/code}"`: literal text with `{/pointer}`
 * substitutions read from the message.
 *
 * A substituted value must be a string or a finite number, and it fills
 * (part of) one token: a value holding "." fails rather than move the
 * message to a deeper topic. The built topic is checked with the topics
 * module, so a value such as "BTC USD" fails with the token named.
 *
 * A pointer cannot contain "{" or "}"; no escape is defined for them.
 *
 * @throws CodecSpecError on unbalanced braces, an empty `{}`, a malformed
 * pointer, or literal text that no value could make a valid topic of.
 */
export function compileTopicTemplate(template: string): TopicTemplate {
  const parts = parseTemplate(template);
  checkLiterals(template, parts);

  if (parts.length === 1 && parts[0]?.t === "text") {
    const result: TopicResult = { ok: true, topic: parts[0].text };
    return () => result;
  }
  return (value) => buildTopic(parts, value);
}

function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let textStart = 0;
  let index = 0;
  while (index < template.length) {
    const char = template[index];
    if (char === "}") {
      throw templateError(template, `unmatched "}" at offset ${index}`);
    }
    if (char !== "{") {
      index += 1;
      continue;
    }
    const close = findClose(template, index);
    if (index > textStart) {
      parts.push({ t: "text", text: template.slice(textStart, index) });
    }
    parts.push(parsePointer(template, template.slice(index + 1, close)));
    index = close + 1;
    textStart = index;
  }
  if (textStart < template.length) {
    parts.push({ t: "text", text: template.slice(textStart) });
  }
  return parts;
}

/** The offset of the "}" that closes the "{" at `open`. */
function findClose(template: string, open: number): number {
  for (let index = open + 1; index < template.length; index += 1) {
    const char = template[index];
    if (char === "}") {
      return index;
    }
    if (char === "{") {
      throw templateError(template, `nested "{" at offset ${index}`);
    }
  }
  throw templateError(template, `unclosed "{" at offset ${open}`);
}

function parsePointer(template: string, pointer: string): Part {
  if (pointer === "") {
    throw templateError(template, '"{}" names no field (write "{/field}")');
  }
  try {
    return { t: "pointer", pointer, get: compilePointer(pointer) };
  } catch (err) {
    throw templateError(template, (err as Error).message);
  }
}

/**
 * Refuses literal text that makes every topic invalid. Each literal token
 * is checked on its own first, so the message names the text the user
 * wrote; then the template is tried with every substitution set to "x",
 * the shortest value, which catches empty tokens, too many tokens and
 * tokens too long whatever is substituted.
 */
function checkLiterals(template: string, parts: readonly Part[]): void {
  for (const part of parts) {
    if (part.t !== "text") {
      continue;
    }
    for (const token of part.text.split(".")) {
      if (token !== "" && !isValidTopic(token)) {
        tryTopic(template, token);
      }
    }
  }
  const probe = parts.map((p) => (p.t === "text" ? p.text : "x")).join("");
  tryTopic(template, probe, ' (each "{…}" tried as "x")');
}

function tryTopic(template: string, topic: string, note = ""): void {
  try {
    validateTopic(topic);
  } catch (err) {
    const reason = `can never form a valid topic: ${(err as Error).message}`;
    throw templateError(template, reason + note);
  }
}

function buildTopic(parts: readonly Part[], value: unknown): TopicResult {
  let topic = "";
  for (const part of parts) {
    if (part.t === "text") {
      topic += part.text;
      continue;
    }
    const piece = substitute(part.pointer, part.get(value));
    if (!piece.ok) {
      return piece;
    }
    topic += piece.topic;
  }
  if (!isValidTopic(topic)) {
    return { ok: false, error: topicErrorOf(topic) };
  }
  return { ok: true, topic };
}

/** The text one substitution adds, in a TopicResult's shape. */
function substitute(pointer: string, found: unknown): TopicResult {
  if (found === undefined) {
    return { ok: false, error: `${pointer} is missing` };
  }
  const isNumber = typeof found === "number" && Number.isFinite(found);
  if (typeof found !== "string" && !isNumber) {
    const shown = describeValue(found);
    const error = `${pointer} is ${shown}, expected a string or a number`;
    return { ok: false, error };
  }
  const text = String(found);
  if (text.includes(".")) {
    const shown = describeValue(text);
    const error = `${pointer} is ${shown}, and a value may not hold "."`;
    return { ok: false, error };
  }
  return { ok: true, topic: text };
}

function topicErrorOf(topic: string): string {
  try {
    validateTopic(topic);
    return `${JSON.stringify(topic)} is not a valid topic`;
  } catch (err) {
    return (err as Error).message;
  }
}

function templateError(template: string, reason: string): CodecSpecError {
  return new CodecSpecError(`topic template "${template}": ${reason}`);
}

/**
 * fast-check generators for topics and patterns. The small alphabets make
 * random patterns actually match random topics; the full ones cover every
 * character a token may hold.
 */
import fc from "fast-check";
import { MAX_TOKEN_LENGTH, MAX_TOPIC_TOKENS } from "../../src/topics/index.js";

/** Every character allowed in a token. */
export const TOKEN_CHARS =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:@";

/** A few tokens, so that generated topics and patterns collide often. */
const FEW_TOKENS = ["a", "b", "c", "x-1"];

/** A topic of 1 to 4 tokens from {@link FEW_TOKENS}. */
export const smallTopic = fc
  .array(fc.constantFrom(...FEW_TOKENS), { minLength: 1, maxLength: 4 })
  .map((tokens) => tokens.join("."));

/** A pattern over {@link FEW_TOKENS} with `*` tokens and maybe a final `>`. */
export const smallPattern = fc
  .tuple(
    fc.array(fc.constantFrom(...FEW_TOKENS, "*", "*"), { maxLength: 4 }),
    fc.boolean(),
  )
  .filter(([tokens, rest]) => tokens.length > 0 || rest)
  .map(([tokens, rest]) => [...tokens, ...(rest ? [">"] : [])].join("."));

/** One of a few subscriber ids. */
export const subscriber = fc.constantFrom("s0", "s1", "s2", "s3", "s4");

/** Any valid token: 1 to 64 allowed characters. */
export const anyToken = fc.string({
  unit: fc.constantFrom(...TOKEN_CHARS),
  minLength: 1,
  maxLength: MAX_TOKEN_LENGTH,
});

/** Any valid topic, as its tokens. */
export const anyTopicTokens = fc.array(anyToken, {
  minLength: 1,
  maxLength: MAX_TOPIC_TOKENS,
});

/** A single character that no token may contain (wildcards included). */
export const badChar = fc.oneof(
  fc.constantFrom(" ", "/", "#", "$", "+", ",", "\n", "\0", "*", ">", "é"),
  fc.constantFrom("😀", "\u00a0", "\u200b", '"', "\\"),
);

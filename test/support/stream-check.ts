import assert from "node:assert/strict";
import type { Frame } from "./client.js";

/** What one client received of one topic, split by frame type. */
export interface TopicStream {
  readonly messages: readonly Frame[];
  readonly gaps: readonly Frame[];
  readonly resets: readonly Frame[];
  /** Upstream `seq` of each message's payload, in arrival order. */
  readonly upstream: readonly number[];
}

/** The payload's upstream seq of an {@link AbFeed} message. */
export function upstreamSeqOf(message: Frame): number {
  return (message.data as { seq: number }).seq;
}

/**
 * Collects the stream `frames` hold for `topic` and asserts it is well
 * formed, whatever was lost: within each epoch, every gateway seq from
 * the first one on is a message or inside exactly one gap, in order, none
 * twice; upstream seqs only rise; and a message's gateway seq minus its
 * upstream seq is the same for all of an epoch, which holds exactly when
 * every hole is announced with the right size.
 */
export function checkTopicStream(frames: readonly Frame[], topic: string) {
  const mine = frames.filter((f) => f.topic === topic);
  let next: number | undefined;
  let offset: number | undefined;
  let lastUpstream = Number.NEGATIVE_INFINITY;
  for (const [index, frame] of mine.entries()) {
    const where = `frame ${index} ${JSON.stringify(frame)}`;
    if (frame.type === "reset") {
      next = undefined;
      offset = undefined;
      lastUpstream = Number.NEGATIVE_INFINITY;
      continue;
    }
    const from = frame.type === "gap" ? frame.fromSeq : frame.seq;
    const to = frame.type === "gap" ? frame.toSeq : frame.seq;
    assert.equal(typeof from, "number", where);
    if (next !== undefined)
      assert.equal(from, next, `seq hole or repeat at ${where}`);
    next = (to as number) + 1;
    if (frame.type !== "message") continue;
    const up = upstreamSeqOf(frame);
    assert.ok(up > lastUpstream, `upstream seq went back at ${where}`);
    lastUpstream = up;
    offset ??= (frame.seq as number) - up;
    assert.equal(
      (frame.seq as number) - up,
      offset,
      `unannounced hole at ${where}`,
    );
  }
  const messages = mine.filter((f) => f.type === "message");
  return {
    messages,
    gaps: mine.filter((f) => f.type === "gap"),
    resets: mine.filter((f) => f.type === "reset"),
    upstream: messages.map(upstreamSeqOf),
  } satisfies TopicStream;
}

/**
 * Asserts `stream` holds upstream seqs `first` to `last`, each exactly
 * once, in order, with no gap notice. On failure the message names the
 * duplicates and missing numbers rather than dumping both arrays.
 */
export function assertExactlyOnce(
  stream: TopicStream,
  first: number,
  last: number,
  who = "the client",
): void {
  const problems = describeMismatch(stream.upstream, first, last);
  const gaps = stream.gaps.map((g) => `${g.fromSeq}..${g.toSeq} ${g.reason}`);
  const noted = gaps.length === 0 ? "" : `; gap notices ${gaps.join(", ")}`;
  assert.equal(problems, "", `${who}: ${problems}${noted}`);
  assert.deepEqual(stream.gaps, [], `${who} got gap notices`);
}

/** "" when `seqs` is exactly first..last, else what is wrong with it. */
function describeMismatch(
  seqs: readonly number[],
  first: number,
  last: number,
): string {
  const seen = new Map<number, number>();
  for (const seq of seqs) seen.set(seq, (seen.get(seq) ?? 0) + 1);
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
  const missing: number[] = [];
  for (let seq = first; seq <= last; seq++) {
    if (!seen.has(seq)) missing.push(seq);
  }
  const extra = [...seen.keys()].filter((s) => s < first || s > last);
  const disorder = seqs.findIndex((s, i) => i > 0 && s < (seqs[i - 1] ?? 0));
  const parts: string[] = [];
  if (duplicates.length > 0) parts.push(`duplicates ${head(duplicates)}`);
  if (missing.length > 0) parts.push(`missing ${head(missing)}`);
  if (extra.length > 0) parts.push(`unexpected ${head(extra)}`);
  if (disorder > 0) parts.push(`out of order at index ${disorder}`);
  if (parts.length === 0) return "";
  return `${seqs.length} messages for ${first}..${last}: ${parts.join("; ")}`;
}

function head(values: readonly number[]): string {
  const shown = values.slice(0, 10).join(", ");
  return values.length > 10 ? `${shown}, ... (${values.length})` : shown;
}

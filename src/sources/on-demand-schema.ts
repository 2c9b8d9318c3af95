import { z } from "zod";
import { compilePointer, compileTopicTemplate } from "../codecs/index.js";
import { outgoingFrameSchema } from "../config/primitives.js";
import {
  isValidPattern,
  validatePattern,
  validateTopic,
} from "../topics/index.js";
import { checkFrameTemplate, DemandRules } from "./demand-rules.js";

/** Runs `check`; a throw becomes an issue at `path` with its message. */
function issueOf(
  ctx: z.RefinementCtx,
  check: () => unknown,
  path: PropertyKey[],
): void {
  try {
    check();
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message, path });
  }
}

const ruleSchema = z
  .strictObject({
    /** The topics this rule subscribes on demand: a topic or a pattern. */
    topics: z.string().min(1),
    /**
     * Sent when the first subscriber of a topic arrives, and after every
     * reconnect while the topic is wanted. `{topic}` is the topic, `{1}`,
     * `{2}`... its tokens; in a JSON frame they fill string values.
     */
    subscribe: outgoingFrameSchema,
    /** Sent after the last subscriber left and `lingerMs` passed. */
    unsubscribe: outgoingFrameSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    issueOf(ctx, () => validatePattern(rule.topics), ["topics"]);
    for (const field of ["subscribe", "unsubscribe"] as const) {
      const frame = rule[field];
      if (frame === undefined) continue;
      issueOf(ctx, () => checkFrameTemplate(frame, rule.topics), [field]);
    }
  });

const rejectionSchema = z
  .strictObject({
    /** Frames where every pointer equals its value are rejections. */
    match: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    /** Topic template over the rejection frame, like a codec's `topic`. */
    topic: z.string().min(1),
    /** Pointer to the upstream's reason; default the whole frame. */
    reason: z.string().optional(),
  })
  .superRefine((spec, ctx) => {
    for (const pointer of Object.keys(spec.match)) {
      issueOf(ctx, () => compilePointer(pointer), ["match", pointer]);
    }
    issueOf(ctx, () => compileTopicTemplate(spec.topic), ["topic"]);
    const reason = spec.reason;
    if (reason !== undefined) {
      issueOf(ctx, () => compilePointer(reason), ["reason"]);
    }
  });

/**
 * A source's `onDemand` block: subscriptions the gateway makes upstream
 * only while somebody downstream wants the topic.
 */
export const onDemandSchema = z
  .strictObject({
    /** In order; the first rule matching a topic decides its frames. */
    rules: z.array(ruleSchema).min(1),
    /**
     * How long a topic stays subscribed upstream after its last
     * subscriber left, so a client that reconnects causes no churn.
     */
    lingerMs: z.number().int().nonnegative().default(5_000),
    /** Most topics subscribed upstream at once; absent for no limit. */
    maxSubscriptions: z.number().int().positive().optional(),
    /** Topics kept subscribed with no subscriber; each needs a rule. */
    standing: z.array(z.string()).default([]),
    /** How to recognise the upstream refusing a subscription. */
    rejection: rejectionSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const rules = new DemandRules(spec.rules);
    spec.standing.forEach((topic, index) => {
      const path = ["standing", index];
      try {
        validateTopic(topic);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message, path });
        return;
      }
      if (spec.rules.every((rule) => isValidPattern(rule.topics))) {
        if (!rules.covers(topic)) {
          const message = `no rule's topics match "${topic}"`;
          ctx.addIssue({ code: "custom", message, path });
        }
      }
    });
    const limit = spec.maxSubscriptions;
    if (limit !== undefined && spec.standing.length > limit) {
      ctx.addIssue({
        code: "custom",
        message: `${spec.standing.length} standing topics exceed maxSubscriptions (${limit})`,
        path: ["standing"],
      });
    }
  });

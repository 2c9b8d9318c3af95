import type { SlowConsumerPolicy } from "../serve/index.js";
import { TopicError, validatePattern } from "../topics/index.js";
import {
  type ClientView,
  ControlError,
  type ControlProblem,
  type SubscriptionView,
} from "./control-api.js";
import type { GatewayViews } from "./views.js";

/**
 * The control plane's operations on connected clients: list, kick, and
 * subscribe or unsubscribe them server-side. Nothing here is persisted: a
 * client's subscriptions last as long as its session.
 */
export class ClientControl {
  readonly #views: GatewayViews;

  constructor(views: GatewayViews) {
    this.#views = views;
  }

  listClients(): ClientView[] {
    return this.#views.clients();
  }

  disconnectClient(id: string, reason: string): void {
    if (!this.#views.disconnect(id, reason)) {
      throw new ControlError("NOT_FOUND", `no client "${id}"`);
    }
  }

  /**
   * Adds patterns as if the client had asked, all or none, with `policy`
   * for every one of them when given (held ones included).
   */
  subscribeClient(
    id: string,
    patterns: readonly string[],
    policy?: SlowConsumerPolicy,
  ): ClientView {
    const wanted = checkPatterns(patterns);
    const { session } = this.#requireClient(id);
    const added = new Set(wanted.filter((p) => !session.patterns.has(p)));
    const limit = session.maxSubscriptions;
    if (session.patterns.size + added.size > limit) {
      throw new ControlError(
        "RESOURCE_EXHAUSTED",
        `subscribing client "${id}" to ${added.size} more patterns would ` +
          `exceed the limit of ${limit} per session ` +
          `(${session.patterns.size} held)`,
      );
    }
    session.controlSubscribe(wanted, policy);
    return this.#clientView(id);
  }

  /** Removes patterns whoever placed them; one not held is no error. */
  unsubscribeClient(id: string, patterns: readonly string[]): ClientView {
    const wanted = checkPatterns(patterns);
    this.#requireClient(id).session.controlUnsubscribe(wanted);
    return this.#clientView(id);
  }

  listSubscriptions(pattern?: string): SubscriptionView[] {
    if (pattern !== undefined && pattern !== "") {
      checkPatterns([pattern], () => "pattern");
    }
    return this.#views.subscriptions(pattern || undefined);
  }

  #requireClient(id: string) {
    const found = this.#views.session(id);
    if (found === undefined) {
      throw new ControlError("NOT_FOUND", `no client "${id}"`);
    }
    return found;
  }

  #clientView(id: string): ClientView {
    const view = this.#views.client(id);
    if (view === undefined) {
      throw new ControlError("NOT_FOUND", `no client "${id}"`);
    }
    return view;
  }
}

/**
 * Checks patterns as a client's subscribe is checked, naming each bad one
 * by its field (`patterns[1]`); an empty list is refused.
 */
function checkPatterns(
  patterns: readonly string[],
  field: (i: number) => string = (i) => `patterns[${i}]`,
): readonly string[] {
  if (patterns.length === 0) {
    throw ControlError.invalid([{ field: "patterns", message: "required" }]);
  }
  const problems: ControlProblem[] = [];
  patterns.forEach((pattern, i) => {
    try {
      validatePattern(pattern);
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      problems.push({ field: field(i), message: err.message });
    }
  });
  if (problems.length > 0) throw ControlError.invalid(problems);
  return patterns;
}

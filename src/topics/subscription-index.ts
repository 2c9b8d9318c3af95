import {
  childFor,
  childOf,
  collect,
  countNodes,
  detachChild,
  isEmpty,
  type TrieNode,
  walkPatterns,
} from "./pattern-trie.js";
import { isWildcardPattern, validatePattern } from "./topic.js";

/** Default bound of {@link SubscriptionIndexOptions.maxCachedTopics}. */
const DEFAULT_MAX_CACHED_TOPICS = 100_000;

/** Shared by every topic nobody wants, so a miss allocates nothing. */
const NO_SUBSCRIBERS: readonly never[] = Object.freeze([]);

/** Options of {@link SubscriptionIndex}. */
export interface SubscriptionIndexOptions {
  /**
   * Most topics whose {@link SubscriptionIndex.match} result is cached.
   * When a new topic would exceed it the whole cache is dropped, which is
   * cheaper than tracking recency on every message. Default 100 000; 0
   * turns the cache off.
   */
  readonly maxCachedTopics?: number;
}

/** Counters of a {@link SubscriptionIndex}, for metrics and diagnostics. */
export interface SubscriptionIndexStats {
  /** Distinct (pattern, subscriber) pairs; same as `size`. */
  readonly pairs: number;
  /** Distinct exact patterns with at least one subscriber. */
  readonly exactPatterns: number;
  /** Distinct wildcard patterns with at least one subscriber. */
  readonly wildcardPatterns: number;
  /** Nodes of the wildcard trie below its root; 0 when it is empty. */
  readonly trieNodes: number;
  /** Topics whose match() result is cached. */
  readonly cachedTopics: number;
}

/**
 * Maps patterns to subscribers, and a topic to every subscriber with a
 * matching pattern, without looking at subscribers that cannot match.
 *
 * Exact patterns live in a map keyed by topic; wildcard patterns in a token
 * trie that a topic walks in at most two branches per token (its literal
 * token and `*`), plus the `>` sets met on the way. Results are cached per
 * topic, because fan-out asks about the same few topics for every message
 * while subscriptions change far less often.
 */
export class SubscriptionIndex<S> {
  /** Subscribers by exact (wildcard-free) pattern. */
  readonly #exact = new Map<string, Set<S>>();
  /** Root of the wildcard trie; never pruned itself. */
  readonly #root: TrieNode<S> = {};
  /** Distinct wildcard patterns, for a cheap emptiness check. */
  #wildcardCount = 0;
  #size = 0;
  /** match() results by topic; valid until the next change. */
  readonly #cache = new Map<string, readonly S[]>();
  readonly #maxCachedTopics: number;

  constructor(options: SubscriptionIndexOptions = {}) {
    this.#maxCachedTopics =
      options.maxCachedTopics ?? DEFAULT_MAX_CACHED_TOPICS;
  }

  /** Distinct (pattern, subscriber) pairs held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Subscribes `subscriber` to `pattern`. Returns false when that pair was
   * already present. Throws a {@link TopicError} for an invalid pattern.
   */
  add(pattern: string, subscriber: S): boolean {
    validatePattern(pattern);
    const set = this.#setFor(pattern);
    if (set.has(subscriber)) return false;

    set.add(subscriber);
    this.#size++;
    this.#invalidate(pattern);
    return true;
  }

  /**
   * Unsubscribes `subscriber` from `pattern`, pruning whatever is left
   * empty. Returns false when the pair was not present, including for an
   * invalid pattern, which can never have been added.
   */
  remove(pattern: string, subscriber: S): boolean {
    const removed = isWildcardPattern(pattern)
      ? this.#removeWildcard(pattern.split("."), 0, this.#root, subscriber)
      : this.#removeExact(pattern, subscriber);
    if (!removed) return false;

    this.#size--;
    this.#invalidate(pattern);
    return true;
  }

  /** Counts what the index holds; walks the trie, so not for hot paths. */
  stats(): SubscriptionIndexStats {
    return {
      pairs: this.#size,
      exactPatterns: this.#exact.size,
      wildcardPatterns: this.#wildcardCount,
      trieNodes: countNodes(this.#root) - 1,
      cachedTopics: this.#cache.size,
    };
  }

  /** True when `subscriber` holds exactly `pattern`. */
  has(pattern: string, subscriber: S): boolean {
    return this.#findSet(pattern)?.has(subscriber) ?? false;
  }

  /**
   * Every subscriber with at least one pattern matching the valid `topic`,
   * each once. The array is frozen and shared with later calls until the
   * index changes; the topic is not validated here (the topic graph does
   * that when it first sees a topic).
   */
  match(topic: string): readonly S[] {
    const cached = this.#cache.get(topic);
    if (cached !== undefined) return cached;

    const result = this.#lookup(topic);
    if (this.#maxCachedTopics > 0) {
      if (this.#cache.size >= this.#maxCachedTopics) this.#cache.clear();
      this.#cache.set(topic, result);
    }
    return result;
  }

  /**
   * Every pattern held with its subscribers, exact patterns first, for
   * listings. The sets are live views: spread the iterator first
   * (`[...index.patterns()]`) before changing the index during a listing.
   */
  *patterns(): IterableIterator<[string, ReadonlySet<S>]> {
    yield* this.#exact;
    yield* walkPatterns(this.#root, []);
  }

  /** The set for `pattern`, created (with its trie path) if need be. */
  #setFor(pattern: string): Set<S> {
    if (!isWildcardPattern(pattern)) {
      const existing = this.#exact.get(pattern);
      if (existing !== undefined) return existing;
      const set = new Set<S>();
      this.#exact.set(pattern, set);
      return set;
    }
    const tokens = pattern.split(".");
    let node = this.#root;
    for (let i = 0; i < tokens.length - 1; i++) {
      node = childFor(node, tokens[i] as string);
    }
    const last = tokens[tokens.length - 1] as string;
    if (last === ">") {
      node.rest ??= this.#newWildcardSet();
      return node.rest;
    }
    node = childFor(node, last);
    node.here ??= this.#newWildcardSet();
    return node.here;
  }

  #newWildcardSet(): Set<S> {
    this.#wildcardCount++;
    return new Set();
  }

  /** The set for `pattern`, if it has one. */
  #findSet(pattern: string): Set<S> | undefined {
    if (!isWildcardPattern(pattern)) return this.#exact.get(pattern);
    const tokens = pattern.split(".");
    let node: TrieNode<S> | undefined = this.#root;
    for (let i = 0; i < tokens.length - 1 && node; i++) {
      node = childOf(node, tokens[i] as string);
    }
    const last = tokens[tokens.length - 1] as string;
    if (last === ">") return node?.rest;
    return node && childOf(node, last)?.here;
  }

  #removeExact(pattern: string, subscriber: S): boolean {
    const set = this.#exact.get(pattern);
    if (set === undefined || !set.delete(subscriber)) return false;
    if (set.size === 0) this.#exact.delete(pattern);
    return true;
  }

  /**
   * Removes the pair below `node`, whose depth is `i`, and detaches every
   * node the removal leaves empty on the way back up.
   */
  #removeWildcard(
    tokens: readonly string[],
    i: number,
    node: TrieNode<S>,
    subscriber: S,
  ): boolean {
    const token = tokens[i] as string;
    if (token === ">" && i === tokens.length - 1) {
      if (!node.rest?.delete(subscriber)) return false;
      if (node.rest.size === 0) this.#dropSet(node, "rest");
      return true;
    }
    const child = childOf(node, token);
    if (child === undefined) return false;

    const removed =
      i === tokens.length - 1
        ? this.#removeHere(child, subscriber)
        : this.#removeWildcard(tokens, i + 1, child, subscriber);
    if (removed && isEmpty(child)) detachChild(node, token);
    return removed;
  }

  #removeHere(node: TrieNode<S>, subscriber: S): boolean {
    if (!node.here?.delete(subscriber)) return false;
    if (node.here.size === 0) this.#dropSet(node, "here");
    return true;
  }

  #dropSet(node: TrieNode<S>, field: "rest" | "here"): void {
    node[field] = undefined;
    this.#wildcardCount--;
  }

  /**
   * Drops the cached results `pattern` can affect: one entry for an exact
   * pattern, all of them for a wildcard.
   */
  #invalidate(pattern: string): void {
    if (isWildcardPattern(pattern)) this.#cache.clear();
    else this.#cache.delete(pattern);
  }

  /** Computes match() without the cache. */
  #lookup(topic: string): readonly S[] {
    const exact = this.#exact.get(topic);
    if (this.#wildcardCount === 0) {
      return exact === undefined ? NO_SUBSCRIBERS : Object.freeze([...exact]);
    }
    // A Set, because one subscriber may hold several matching patterns.
    const found = new Set<S>(exact);
    collect(this.#root, topic.split("."), 0, found);
    return found.size === 0 ? NO_SUBSCRIBERS : Object.freeze([...found]);
  }
}

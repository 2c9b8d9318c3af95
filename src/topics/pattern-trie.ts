/**
 * The token trie behind `SubscriptionIndex`'s wildcard patterns.
 * Internal to this module: the index owns every node, and these helpers
 * only read or reshape the nodes they are given.
 */

/**
 * One level of the wildcard trie. Each field is created on first use, since
 * most nodes only ever need one of them.
 */
export interface TrieNode<S> {
  /** Next level by literal token. */
  children?: Map<string, TrieNode<S>> | undefined;
  /** Next level for a `*` token. */
  star?: TrieNode<S> | undefined;
  /** Subscribers of the patterns ending in `>` right after this node. */
  rest?: Set<S> | undefined;
  /** Subscribers of the patterns ending at this node. */
  here?: Set<S> | undefined;
}

/** Adds to `out` the subscribers below `node` matching `tokens` from `i`. */
export function collect<S>(
  node: TrieNode<S>,
  tokens: readonly string[],
  i: number,
  out: Set<S>,
): void {
  if (i === tokens.length) {
    if (node.here) for (const s of node.here) out.add(s);
    return;
  }
  if (node.rest) for (const s of node.rest) out.add(s);
  const child = node.children?.get(tokens[i] as string);
  if (child) collect(child, tokens, i + 1, out);
  if (node.star) collect(node.star, tokens, i + 1, out);
}

/** Yields the patterns stored below `node`, whose path is `path`. */
export function* walkPatterns<S>(
  node: TrieNode<S>,
  path: string[],
): Generator<[string, ReadonlySet<S>]> {
  if (node.here) yield [path.join("."), node.here];
  if (node.rest) yield [[...path, ">"].join("."), node.rest];
  if (node.star) yield* walkPatterns(node.star, [...path, "*"]);
  for (const [token, child] of node.children ?? []) {
    yield* walkPatterns(child, [...path, token]);
  }
}

/** Counts `node` and every node below it. */
export function countNodes<S>(node: TrieNode<S>): number {
  let count = 1;
  if (node.star) count += countNodes(node.star);
  for (const child of node.children?.values() ?? []) {
    count += countNodes(child);
  }
  return count;
}

/** The next level of `node` for `token`, if any. */
export function childOf<S>(node: TrieNode<S>, token: string) {
  return token === "*" ? node.star : node.children?.get(token);
}

/** The next level of `node` for `token`, created if need be. */
export function childFor<S>(node: TrieNode<S>, token: string): TrieNode<S> {
  if (token === "*") {
    node.star ??= {};
    return node.star;
  }
  node.children ??= new Map();
  const existing = node.children.get(token);
  if (existing !== undefined) return existing;
  const child: TrieNode<S> = {};
  node.children.set(token, child);
  return child;
}

/** Drops the next level of `node` for `token`, map and all if empty. */
export function detachChild<S>(node: TrieNode<S>, token: string): void {
  if (token === "*") {
    node.star = undefined;
    return;
  }
  node.children?.delete(token);
  if (node.children?.size === 0) node.children = undefined;
}

/** True when `node` holds no subscribers and leads nowhere. */
export function isEmpty<S>(node: TrieNode<S>): boolean {
  return !node.here && !node.rest && !node.star && !node.children;
}

/**
 * The part of a repository's commit graph that lies on some branches but not on a target: the commits
 * `git log <tips> --not <target>` lists, each with its parents, tree and subject. Ancestry, merge-base and
 * "commits between" questions about work package branches are answered by walking it in memory instead
 * of starting one git process per question (a merge of 20 WPs used to ask about 100).
 *
 * Every answer is exact or `undefined`: a question the graph cannot settle on its own (two commits that
 * both lie on the target, say) is left to the caller, which asks git. Pure: no git, no file access.
 */
export interface CommitNode {
  parents: readonly string[];
  tree: string;
  subject: string;
}

export class CommitGraph {
  private readonly reachMemo = new Map<string, Set<string>>();
  private readonly boundaryMemo = new Map<string, Set<string>>();

  /**
   * @param nodes the commits on the tips but not on the target, keyed by id.
   * @param order the same commits in the order git listed them (newest first), for listings.
   */
  constructor(
    private readonly nodes: Map<string, CommitNode>,
    private readonly order: readonly string[],
  ) {}

  /** True for a commit the graph holds: reachable from a tip and not from the target. */
  has(commit: string): boolean {
    return this.nodes.has(commit);
  }

  node(commit: string): CommitNode | undefined {
    return this.nodes.get(commit);
  }

  /** Records a commit made after the graph was read (an in-memory merge base, say). */
  add(commit: string, node: CommitNode): void {
    this.nodes.set(commit, node);
    this.reachMemo.clear();
    this.boundaryMemo.clear();
  }

  /** The graph's commits reachable from `start`, itself included (empty when it is not in the graph). */
  reach(start: string): Set<string> {
    this.walk(start);
    return this.reachMemo.get(start) ?? new Set();
  }

  /**
   * The parents, outside the graph, where walks from `start` leave it: commits on the target (or
   * unknown). Every common ancestor of `start` and the target is one of them or an ancestor of one.
   */
  boundary(start: string): Set<string> {
    this.walk(start);
    return this.boundaryMemo.get(start) ?? new Set([start]);
  }

  /**
   * Is `ancestor` an ancestor of (or equal to) `descendant`? `undefined` when only the target's own
   * history could tell, which the graph does not hold.
   */
  isAncestor(ancestor: string, descendant: string): boolean | undefined {
    if (ancestor === descendant) return true;
    if (!this.has(descendant)) return undefined;
    if (this.has(ancestor)) return this.reach(descendant).has(ancestor);
    // Outside the graph, `ancestor` is an ancestor exactly when it is, or precedes, a boundary commit.
    return this.boundary(descendant).has(ancestor) ? true : undefined;
  }

  /**
   * The merge base of `tip` (a tip the graph was read from) and the target, when there is exactly one
   * candidate: a tip outside the graph is on the target already; otherwise the single boundary commit.
   */
  mergeBaseWithTarget(tip: string): string | undefined {
    if (!this.has(tip)) return tip;
    const boundary = this.boundary(tip);
    return boundary.size === 1 ? [...boundary][0] : undefined;
  }

  /**
   * The commits reachable from `tip` but neither from `base` nor from the target, newest first (as
   * `git log tip ^base ^target` lists them). `base` must be an ancestor of `tip` or a commit added to the
   * graph: one outside the graph is then on the target, and excludes nothing more.
   */
  commitsBetween(base: string, tip: string): string[] {
    const own = this.reach(tip);
    const excluded = this.reach(base);
    return this.order.filter((commit) => own.has(commit) && !excluded.has(commit));
  }

  private walk(start: string): void {
    if (this.reachMemo.has(start)) return;
    const seen = new Set<string>();
    const boundary = new Set<string>();
    if (!this.nodes.has(start)) {
      this.reachMemo.set(start, seen);
      this.boundaryMemo.set(start, new Set([start]));
      return;
    }
    const stack = [start];
    while (stack.length > 0) {
      const commit = stack.pop() as string;
      if (seen.has(commit)) continue;
      const node = this.nodes.get(commit);
      if (!node) {
        boundary.add(commit);
        continue;
      }
      seen.add(commit);
      for (const parent of node.parents) stack.push(parent);
    }
    this.reachMemo.set(start, seen);
    this.boundaryMemo.set(start, boundary);
  }
}

/**
 * Parses `git log --format=%H %P%x00%T%x00%s%x00` output (one record per commit, fields separated by
 * NUL) into a graph.
 */
export function parseCommitGraph(output: string): CommitGraph {
  const nodes = new Map<string, CommitNode>();
  const order: string[] = [];
  const fields = output.split('\0');
  for (let index = 0; index + 2 < fields.length; index += 3) {
    const [commit, ...parents] = (fields[index] ?? '').trim().split(' ');
    if (!commit) continue;
    nodes.set(commit, { parents, tree: fields[index + 1] ?? '', subject: fields[index + 2] ?? '' });
    order.push(commit);
  }
  return new CommitGraph(nodes, order);
}

/**
 * Ancestry questions about work package branches, answered from one `git log` over every WP tip (the
 * commits not yet on the target) and, only for what that walk cannot settle, from git itself. A merge of
 * 20 WPs asks about a hundred such questions; each used to be a git process of its own.
 */
import { CommitGraph, parseCommitGraph } from '../domain/commit-graph.js';
import { GitCommandError } from '../errors.js';
import type { GitPlumbing } from './git.js';

/** The commits reachable from `tips` and from none of `exclude`, from one `git log` (none without a tip). */
export async function readCommitGraph(
  git: GitPlumbing,
  tips: readonly string[],
  exclude: readonly string[],
): Promise<CommitGraph> {
  const unique = [...new Set(tips)];
  if (unique.length === 0) return parseCommitGraph('');
  return parseCommitGraph(
    await git.output(['log', '--format=%H %P%x00%T%x00%s%x00', ...unique, '--not', ...exclude, '--']),
  );
}

export class CommitAncestry {
  private constructor(
    private readonly git: GitPlumbing,
    private readonly graph: CommitGraph,
    /** The commit the graph excludes: the target as it was when the graph was read. */
    readonly target: string,
  ) {}

  /** Reads the commits reachable from `tips` and not from `target`, with their parents, trees and subjects. */
  static async load(git: GitPlumbing, tips: readonly string[], target: string): Promise<CommitAncestry> {
    return new CommitAncestry(git, await readCommitGraph(git, tips, [target]), target);
  }

  /** True when `ancestor` is an ancestor of (or equal to) `descendant`; git's error for an unknown commit. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const known = this.graph.isAncestor(ancestor, descendant);
    return known ?? this.git.isAncestor(ancestor, descendant);
  }

  /** Like isAncestor, but null when either commit is unknown to git (e.g. garbage collected). */
  async isAncestorIfKnown(ancestor: string, descendant: string): Promise<boolean | null> {
    const known = this.graph.isAncestor(ancestor, descendant);
    return known ?? this.git.isAncestorIfKnown(ancestor, descendant);
  }

  /** The best common ancestor of a WP tip and the target, or null when they share no history. */
  async mergeBaseWithTarget(tip: string): Promise<string | null> {
    const known = this.graph.mergeBaseWithTarget(tip);
    if (known !== undefined) return known;
    try {
      return await this.git.output(['merge-base', tip, this.target]);
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return null;
      throw error;
    }
  }

  /**
   * What `tip` brings beyond `base` and the target, newest first, as `git log tip ^base ^target` lists it.
   * `base` is an ancestor of `tip` (a fork point) or a commit recorded here.
   */
  commitsBetween(base: string, tip: string): { sha: string; subject: string }[] {
    return this.graph.commitsBetween(base, tip).map((sha) => ({ sha, subject: this.graph.node(sha)?.subject ?? '' }));
  }

  /** The commits of `base..tip` (not on the target) oldest first, without merges, for replaying them. */
  commitsToReplay(base: string, tip: string): string[] {
    return this.graph
      .commitsBetween(base, tip)
      .filter((sha) => (this.graph.node(sha)?.parents.length ?? 0) <= 1)
      .reverse();
  }

  /** How many merge commits `tip` has beyond `base` and the target. */
  countMerges(base: string, tip: string): number {
    return this.graph.commitsBetween(base, tip).filter((sha) => (this.graph.node(sha)?.parents.length ?? 0) > 1).length;
  }

  /** The first parent of a commit in the graph (the commit a replayed commit was made on). */
  async firstParent(commit: string): Promise<string> {
    return this.graph.node(commit)?.parents[0] ?? this.git.output(['rev-parse', '--verify', `${commit}^`]);
  }

  /** The tree of a commit, without a git process when the graph holds it. */
  async treeOf(commit: string): Promise<string> {
    return this.graph.node(commit)?.tree || this.git.treeOf(commit);
  }

  /** Makes a commit created in memory (a virtual merge base) known to later questions. */
  record(commit: string, parents: readonly string[], tree: string, subject: string): void {
    this.graph.add(commit, { parents, tree, subject });
  }
}

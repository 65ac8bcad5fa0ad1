/**
 * What `kit prompt` and `kit review` read beyond the lane state: a WP file's text where lane state lives,
 * the commits and diff of a WP branch against its base, whether a dependency's tip is in the branch, and
 * who the reviewer is according to git. Everything goes through the git gateway; the branch-wide facts
 * (tip, worktree, uncommitted files) come from git-facts.ts like `kit status`'s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { GitPlumbing } from './git.js';
import { laneOverlayForReads, overlaidText } from './lane-ref-store.js';
import { collectGitFacts, type WorkPackageGitFacts } from './git-facts.js';
import type { Workspace } from './workspace.js';

/**
 * A WP file's text as kit's lane state sees it: the main checkout's copy when it has the target branch
 * out (kit keeps it in step with its lane commits), else the file committed on the target branch.
 */
export async function readWorkPackageText(workspace: Workspace, targetBranch: string, file: string): Promise<string> {
  // lane_store: ref: the lane ref's copy (lanes, history, review feedback) comes before the target's.
  const copy = overlaidText(laneOverlayForReads(workspace, targetBranch), file);
  if (typeof copy === 'string') return copy;
  if ((await workspace.git.currentBranch()) === targetBranch) {
    try {
      return readFileSync(join(workspace.root, file), 'utf8');
    } catch {
      // Not in the working tree (deleted by hand?): fall back to the committed copy.
    }
  }
  const git = new GitPlumbing(workspace.git);
  const tip = await git.resolveCommit(`refs/heads/${targetBranch}`);
  const bytes = tip ? await git.readBlob(tip, file) : null;
  if (!bytes) {
    throw new KitError(`${file} is neither in the main checkout nor committed on ${targetBranch}`, {
      hint: `commit the planning files on ${targetBranch} first`,
      file,
    });
  }
  return bytes.toString('utf8');
}

export interface BranchFacts {
  facts: WorkPackageGitFacts | null;
  /** The commit the branch is compared against: the recorded base, else its fork point with the target. */
  base: string | null;
  commits: { sha: string; subject: string }[];
}

const MAX_COMMITS = 100;

/** The WP branch's tip, worktree and uncommitted files, its base and the commits made on it since. */
export async function workPackageBranchFacts(
  workspace: Workspace,
  input: { branch: string; baseCommit: string | null; targetBranch: string },
): Promise<BranchFacts> {
  const key = input.branch;
  const facts =
    (
      await collectGitFacts(
        workspace.git,
        [{ key, branch: input.branch, baseCommit: input.baseCommit, dependencyBranches: [] }],
        [input.targetBranch],
      )
    ).get(key) ?? null;
  if (!facts) return { facts: null, base: input.baseCommit, commits: [] };
  const git = new GitPlumbing(workspace.git);
  const base =
    input.baseCommit && (await git.resolveCommit(input.baseCommit))
      ? input.baseCommit
      : await forkPoint(git, facts.tip, input.targetBranch);
  const commits = base ? (await git.commitsBetween(base, facts.tip)).slice(0, MAX_COMMITS) : [];
  return { facts, base, commits };
}

async function forkPoint(git: GitPlumbing, tip: string, targetBranch: string): Promise<string | null> {
  const target = await git.resolveCommit(`refs/heads/${targetBranch}`);
  if (!target) return null;
  try {
    return await git.output(['merge-base', tip, target]);
  } catch {
    return null;
  }
}

export interface DependencyState {
  branchExists: boolean;
  /** Whether the dependency branch's latest commit is in the WP branch (null: one of them has no branch). */
  included: boolean | null;
  /** Commits on the dependency branch that the WP branch lacks. */
  missingCommits: number | null;
}

/** Whether a dependency's latest commit is already in the WP branch, and how many commits it lacks. */
export async function dependencyState(
  workspace: Workspace,
  dependencyBranch: string,
  wpTip: string | null,
): Promise<DependencyState> {
  const git = new GitPlumbing(workspace.git);
  const tip = await git.resolveCommit(`refs/heads/${dependencyBranch}`);
  if (!tip) return { branchExists: false, included: null, missingCommits: null };
  if (!wpTip) return { branchExists: true, included: null, missingCommits: null };
  const missing = Number(await git.output(['rev-list', '--count', `${wpTip}..${tip}`, '--']));
  return { branchExists: true, included: missing === 0, missingCommits: missing };
}

export interface DiffStat {
  files: { path: string; added: number | null; deleted: number | null }[];
  added: number;
  deleted: number;
}

/** `git diff --numstat base tip`: lines added and deleted per file (null for binary files). */
export async function diffStat(workspace: Workspace, base: string, tip: string): Promise<DiffStat> {
  const git = new GitPlumbing(workspace.git);
  const output = await git.output(['diff', '--numstat', '-z', '--no-renames', base, tip, '--']);
  const files: DiffStat['files'] = [];
  let added = 0;
  let deleted = 0;
  for (const record of output.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(record);
    if (!match?.[3]) continue;
    const plus = match[1] === '-' ? null : Number(match[1]);
    const minus = match[2] === '-' ? null : Number(match[2]);
    added += plus ?? 0;
    deleted += minus ?? 0;
    files.push({ path: match[3], added: plus, deleted: minus });
  }
  return { files, added, deleted };
}

/** git's `user.name` as the repository sees it, or null when none is set. */
export async function gitUserName(workspace: Workspace): Promise<string | null> {
  const result = await workspace.checkoutGit.spawnGit(['config', '--get', 'user.name']);
  const name = result.stdout.toString('utf8').trim();
  return result.exitCode === 0 && name ? name : null;
}

/**
 * Where a command runs: the repository, its main checkout (where planning files live), the checkout
 * the command was started in (which may be a WP worktree or a subdirectory), and kit's config.
 * Resolving the root from the git common dir, not from cwd, is what keeps a command started inside a
 * WP worktree from reading or writing that worktree's stale copy of the planning files.
 */
import { basename, dirname, join } from 'node:path';
import { ExitCode, KitError } from '../errors.js';
import { checkedOutBranchOnDisk, locateOnDisk } from './checkout.js';
import { DEFAULT_CONFIG, type KitConfig, readConfig } from './config.js';
import { resolveInside } from './files.js';
import { Git } from './git.js';

export interface Workspace {
  /** The main checkout: planning files, `.kit/` and the worktrees dir are here. */
  root: string;
  /** The checkout the command runs in (the main checkout or a WP worktree). */
  checkoutRoot: string;
  /** The git dir shared by every worktree (`.git` of the main checkout). */
  commonDir: string;
  git: Git;
  /** Git gateway rooted at the checkout the command runs in. */
  checkoutGit: Git;
  config: KitConfig;
  configFile: string | null;
  /** Absolute path of the specs dir in the main checkout. */
  specsPath: string;
}

/** Finds the repository around cwd; outside one, a clear error (exit 3). */
export async function openWorkspace(cwd: string, options: { ignoreConfig?: boolean } = {}): Promise<Workspace> {
  const here = new Git(cwd);
  // The plain layouts are read from disk; git answers for the rest (and for "not a repository").
  const located = locateOnDisk(cwd) ?? (await here.locate());
  if (!located) {
    throw new KitError(`not inside a git repository (${cwd})`, {
      hint: 'run kit from inside your project, or create one with `git init`',
      exitCode: ExitCode.invalidInput,
    });
  }
  const checkoutRoot = located.toplevel;
  if (!checkoutRoot) {
    throw new KitError('this is a bare repository or a .git directory, not a checkout', {
      hint: 'run kit from a checkout of the repository',
    });
  }
  // A non-bare repository keeps its common dir at <main checkout>/.git; worktrees point back to it.
  const root = basename(located.commonDir) === '.git' ? dirname(located.commonDir) : checkoutRoot;
  const { config, file } = options.ignoreConfig
    ? { config: { ...DEFAULT_CONFIG }, file: null }
    : await readConfig(root);
  const git = root === checkoutRoot ? here : new Git(root);
  return {
    root,
    checkoutRoot,
    commonDir: located.commonDir,
    git,
    checkoutGit: root === checkoutRoot ? git : here,
    config,
    configFile: file,
    specsPath: resolveInside(root, config.specsDir, 'specsDir'),
  };
}

/** kit's own scratch space inside the git common dir (shared by all worktrees, never committed). */
export function kitStateDir(workspace: Pick<Workspace, 'commonDir'>): string {
  return join(workspace.commonDir, 'kit');
}

/** The branch the main checkout has out, or null when its HEAD is detached. */
export async function mainCheckoutBranch(workspace: Pick<Workspace, 'root' | 'git'>): Promise<string | null> {
  const onDisk = checkedOutBranchOnDisk(workspace.root);
  return onDisk === undefined ? workspace.git.currentBranch() : onDisk;
}

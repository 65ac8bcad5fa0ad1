import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { featureDirName, isSlug, MAX_SLUG_LENGTH, parseFeatureDirName, slugify } from '../domain/identifiers.js';
import { fillTemplate } from '../domain/template.js';
import { KitError } from '../errors.js';
import { toRepoPath } from '../io/files.js';
import { GitPlumbing } from '../io/git.js';
import { withLock } from '../io/lock.js';
import { readTemplate } from '../io/templates.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';

export interface SpecifyResult {
  feature: string;
  number: string;
  slug: string;
  path: string;
  files: string[];
  targetBranch: string;
}

/**
 * Creates `<specs>/NNN-slug/` with spec.md and meta.json. NNN is one more than the highest number in
 * the specs dir of the working copy, of every local branch and of every worktree, so two branches
 * specifying at the same time do not mint the same number; a lock in the git common dir serializes
 * concurrent runs, and the directory appears whole (built aside, then renamed into place).
 */
export async function specifyFeature(
  workspace: Workspace,
  input: { description: string; slug?: string | undefined; now: Date },
): Promise<SpecifyResult> {
  const description = input.description.replace(/\s+/g, ' ').trim();
  if (!description) {
    throw new KitError('the feature description is empty', { hint: 'kit specify "Users can sign in with GitHub"' });
  }
  const slug = input.slug !== undefined ? input.slug : slugify(description);
  if (!isSlug(slug)) {
    throw new KitError(
      input.slug !== undefined
        ? `"${input.slug}" is not a valid slug (lowercase ASCII letters, digits and dashes, at most ${MAX_SLUG_LENGTH} characters)`
        : 'the description has no letters or digits to make a slug from',
      { hint: 'pass --slug user-auth' },
    );
  }
  // Planning files live in the main checkout, so the feature targets the branch checked out there (the
  // same as "checked out now" unless kit runs inside a WP worktree, whose branch is never a target).
  const targetBranch = await workspace.git.currentBranch();
  if (!targetBranch) {
    throw new KitError('HEAD is detached, so there is no branch for the feature to merge into', {
      hint: 'check out the branch the feature should land on (e.g. git switch main), then run kit specify again',
    });
  }
  return withLock(kitStateDir(workspace), 'specify', async () => {
    const number = (await highestFeatureNumber(workspace)) + 1;
    const name = featureDirName(number, slug);
    const finalDir = join(workspace.specsPath, name);
    const numberText = name.slice(0, name.indexOf('-'));
    const friendlyName = titleFrom(description);
    const values = {
      feature: name,
      friendly_name: friendlyName,
      description,
      date: input.now.toISOString().slice(0, 10),
    };
    const meta = {
      feature_number: numberText,
      slug: name,
      feature_slug: name,
      friendly_name: friendlyName,
      source_description: description,
      target_branch: targetBranch,
      created_at: input.now.toISOString(),
    };
    mkdirSync(workspace.specsPath, { recursive: true });
    const staging = join(workspace.specsPath, `.${name}.${process.pid}.tmp`);
    try {
      mkdirSync(staging);
      writeFileSync(join(staging, 'spec.md'), fillTemplate(readTemplate('spec.md'), values));
      writeFileSync(join(staging, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
      if (existsSync(finalDir)) throw new KitError(`${toRepoPath(workspace.root, finalDir)} already exists`);
      renameSync(staging, finalDir);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return {
      feature: name,
      number: numberText,
      slug,
      path: toRepoPath(workspace.root, finalDir),
      files: ['spec.md', 'meta.json'].map((file) => toRepoPath(workspace.root, join(finalDir, file))),
      targetBranch,
    };
  });
}

/** The highest feature number anywhere: working copy, every local branch, every worktree. */
async function highestFeatureNumber(workspace: Workspace): Promise<number> {
  const names = new Set<string>();
  const addDir = (dir: string) => {
    try {
      for (const name of readdirSync(dir)) names.add(name);
    } catch {
      // No specs dir there.
    }
  };
  addDir(workspace.specsPath);
  const [branches, worktrees] = await Promise.all([
    new GitPlumbing(workspace.git).branchTips(),
    workspace.git.worktrees(),
  ]);
  for (const worktree of worktrees) addDir(join(worktree.path, workspace.config.specsDir));
  const commits = [...new Set(branches.values())];
  const trees = await workspace.git.directoryNames(commits, workspace.config.specsDir);
  for (const list of trees.values()) for (const name of list) names.add(name);
  let highest = 0;
  for (const name of names) highest = Math.max(highest, parseFeatureDirName(name)?.number ?? 0);
  return highest;
}

/** A friendly name from the description: its first sentence, at most 80 characters, capitalised. */
function titleFrom(description: string): string {
  const sentence = description.split(/(?<=[.!?])\s/)[0] ?? description;
  const short = sentence.length > 80 ? `${sentence.slice(0, 77).replace(/\s+\S*$/, '')}...` : sentence;
  const trimmed = short.replace(/[.!?]$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

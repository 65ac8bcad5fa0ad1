/**
 * `kit prompt`: what an agent reads when it starts or resumes a work package, computed from the
 * repository rather than from anyone's memory: the WP's instructions, its dependencies and whether their
 * latest commits are in its branch, its worktree and branch, the commits so far and uncommitted files,
 * review feedback, and the exact commands to run next.
 */
import { join } from 'node:path';
import { acceptanceNotes, implementerNextSteps, reviewFeedback, subtaskLines } from '../domain/agent-briefing.js';
import { featureTitle } from '../domain/feature.js';
import { dependencyState, readWorkPackageText, workPackageBranchFacts } from '../io/agent-work-package.js';
import { listFeatureDirs } from '../io/feature-store.js';
import { splitFrontmatter } from '../io/frontmatter.js';
import type { Workspace } from '../io/workspace.js';
import type { Lane } from '../lanes/lane.js';
import { conflictsOfWorkPackage, type ForecastConflict } from './stack-forecast.js';
import { resolveWorkPackage, workPackageBranch } from './work-package-context.js';

export interface PromptDependency {
  id: string;
  title: string | null;
  lane: Lane | null;
  branch: string;
  branchExists: boolean;
  /** Whether the dependency's latest commit is in this WP's branch (null until both branches exist). */
  included: boolean | null;
  missingCommits: number | null;
}

export interface PromptResult {
  feature: string;
  featureTitle: string;
  /** The feature's spec and plan, in the main checkout. */
  spec: string;
  plan: string;
  wp: string;
  title: string;
  lane: Lane;
  agent: string | null;
  file: string;
  targetBranch: string;
  branch: string;
  branchExists: boolean;
  worktree: string | null;
  /** The command runs inside this WP's worktree. */
  insideWorktree: boolean;
  base: { commit: string | null; branches: string[] };
  dependencies: PromptDependency[];
  commits: { sha: string; subject: string }[];
  uncommittedFiles: string[] | null;
  review: { status: string | null; reviewedBy: string | null; feedback: string | null };
  subtasks: string[];
  acceptance: string[];
  /** The WP file's body (its instructions), as committed where lane state lives. */
  body: string;
  nextSteps: string[];
  /**
   * Stacking: the dependencies with commits this branch lacks, and the other WPs in flight this branch
   * would conflict with if both were merged (null when this WP is not in flight).
   */
  stack: {
    staleBase: { dependency: string; newCommits: number }[];
    conflicts: ForecastConflict[] | null;
    /** The command that rebases this WP (and what depends on it) onto its dependencies' tips. */
    restackCommand: string;
  };
}

export async function workPackagePrompt(
  workspace: Workspace,
  input: { wp?: string | undefined; feature?: string | undefined },
): Promise<PromptResult> {
  const { feature, wp, targetBranch } = await resolveWorkPackage(workspace, input);
  const branch = workPackageBranch(feature.name, wp.id);
  const text = await readWorkPackageText(workspace, targetBranch, wp.file);
  const split = splitFrontmatter(text);
  const body = split.ok ? text.slice(split.bodyStart) : text;
  const { facts, base, commits } = await workPackageBranchFacts(workspace, {
    branch,
    baseCommit: wp.baseCommit,
    targetBranch,
  });
  const byId = new Map(feature.workPackages.map((candidate) => [candidate.id, candidate]));
  const dependencies: PromptDependency[] = [];
  for (const id of wp.dependencies) {
    const dependency = byId.get(id);
    const dependencyBranch = workPackageBranch(feature.name, id);
    const state = await dependencyState(workspace, dependencyBranch, facts?.tip ?? null);
    dependencies.push({
      id,
      title: dependency?.title ?? null,
      lane: dependency?.lane ?? null,
      branch: dependencyBranch,
      branchExists: state.branchExists,
      included: state.included,
      missingCommits: state.missingCommits,
    });
  }
  const conflicts = await conflictsOfWorkPackage(workspace, feature, wp.id);
  const feedback = reviewFeedback(body);
  const insideWorktree =
    facts?.worktree !== undefined && facts.worktree !== null && facts.worktree === workspace.checkoutRoot;
  return {
    feature: feature.name,
    featureTitle: featureTitle(feature),
    spec: `${feature.path}/spec.md`,
    plan: `${feature.path}/plan.md`,
    wp: wp.id,
    title: wp.title,
    lane: wp.lane,
    agent: wp.agent || null,
    file: wp.file,
    targetBranch,
    branch,
    branchExists: facts !== null,
    worktree: facts?.worktree ?? null,
    insideWorktree,
    base: {
      commit: base,
      branches: wp.baseBranch
        ? wp.baseBranch
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean)
        : [],
    },
    dependencies,
    commits,
    uncommittedFiles: facts?.uncommittedFiles ?? null,
    review: { status: wp.reviewStatus || null, reviewedBy: wp.reviewedBy || null, feedback },
    subtasks: subtaskLines(body, wp.subtasks),
    acceptance: acceptanceNotes(body),
    body,
    nextSteps: implementerNextSteps({
      id: wp.id,
      feature: feature.name,
      lane: wp.lane,
      dependencies: wp.dependencies,
      severalFeatures: listFeatureDirs(workspace).length > 1,
      branch,
      branchExists: facts !== null,
      worktree: facts?.worktree ?? null,
      defaultWorktree: join(workspace.root, workspace.config.worktreesDir, branch),
      insideWorktree,
      unstartedDependencies: dependencies.filter((dependency) => !dependency.branchExists).map((entry) => entry.id),
      hasFeedback: feedback !== null && wp.reviewStatus === 'has_feedback',
    }),
    stack: {
      staleBase: dependencies.flatMap((dependency) =>
        dependency.missingCommits ? [{ dependency: dependency.id, newCommits: dependency.missingCommits }] : [],
      ),
      conflicts,
      restackCommand: `kit restack ${wp.id} --feature ${feature.name}`,
    },
  };
}

/** The "Stack" section: a stale base or a forecast conflict, and what to run. Empty when neither. */
function stackSection(result: PromptResult): string[] {
  const { staleBase, conflicts, restackCommand } = result.stack;
  if (staleBase.length === 0 && (conflicts ?? []).length === 0) return [];
  const lines = ['', '## Stack', ''];
  if (staleBase.length > 0) {
    const behind = staleBase
      .map((stale) => `${stale.dependency} has ${stale.newCommits} new commit${stale.newCommits === 1 ? '' : 's'}`)
      .join(', ');
    lines.push(
      `- Stale base: ${behind} that this branch lacks. Commit your work (kit skips a worktree with uncommitted or untracked files), then run \`${restackCommand}\`: it replays your commits onto the new tips and moves this worktree along.`,
    );
  }
  for (const conflict of conflicts ?? []) {
    const files = conflict.files.join(', ');
    const dependency = result.dependencies.find((candidate) => candidate.id === conflict.with);
    lines.push(
      dependency
        ? `- Conflict forecast: your dependency ${conflict.with} and this branch conflict in ${files}, so kit restack will stop there. Bring it in here instead: \`git merge ${dependency.branch}\`, resolve, commit.`
        : `- Conflict forecast: this branch and ${conflict.with}'s would conflict in ${files} if both were merged. Keep your changes to those files small; once ${conflict.with} lands or you depend on it, bring it in (\`git merge\` its branch) and resolve it here.`,
    );
  }
  return lines;
}

/** The brief as Markdown, the way an agent reads it. */
export function renderPrompt(result: PromptResult): string {
  const lines: string[] = [];
  lines.push(`# ${result.wp}: ${result.title || '(untitled)'}`, '');
  lines.push(`- Feature: ${result.feature} (${result.featureTitle}); spec ${result.spec}, plan ${result.plan}`);
  lines.push(`- Lane: ${result.lane}${result.agent ? ` (agent ${result.agent})` : ''}; WP file ${result.file}`);
  if (result.branchExists) {
    const base = result.base.commit
      ? `, base ${result.base.commit.slice(0, 12)}${result.base.branches.length > 0 ? ` (${result.base.branches.join(' + ')})` : ''}`
      : '';
    lines.push(`- Branch: ${result.branch}${base}`);
    lines.push(
      result.worktree
        ? `- Worktree: ${result.worktree}${result.insideWorktree ? ' (you are in it)' : ''}. Work and commit only there.`
        : '- Worktree: none (the branch has no worktree)',
    );
  } else {
    lines.push(`- Branch: ${result.branch} does not exist yet (kit implement creates it and its worktree)`);
  }
  lines.push(`- Lane changes are commits on ${result.targetBranch}; never edit kitty-specs/ or .kit/ in the worktree.`);

  if (result.review.feedback) {
    lines.push('', `## Review feedback${result.review.reviewedBy ? ` (from ${result.review.reviewedBy})` : ''}`, '');
    lines.push(result.review.feedback);
  }
  if (result.dependencies.length > 0) {
    lines.push('', '## Dependencies', '');
    for (const dependency of result.dependencies) {
      const state = !dependency.branchExists
        ? 'not started'
        : dependency.included === null
          ? `branch ${dependency.branch}`
          : dependency.included
            ? 'its latest commit is in this branch'
            : `${dependency.missingCommits} commit(s) not in this branch yet: git merge ${dependency.branch}`;
      lines.push(`- ${dependency.id} ${dependency.title ?? ''} [${dependency.lane ?? 'unknown'}]: ${state}`);
    }
  }
  if (result.branchExists) {
    lines.push('', '## Progress', '');
    lines.push(
      result.commits.length === 0
        ? 'No commits beyond the base yet.'
        : `Commits beyond the base (${result.commits.length}):`,
    );
    for (const commit of result.commits) lines.push(`- ${commit.sha.slice(0, 12)} ${commit.subject}`);
    if (result.uncommittedFiles === null) lines.push('', 'Uncommitted files: unknown (no worktree).');
    else if (result.uncommittedFiles.length === 0) lines.push('', 'The worktree is clean.');
    else {
      lines.push('', `Uncommitted files (${result.uncommittedFiles.length}):`);
      for (const file of result.uncommittedFiles) lines.push(`- ${file}`);
    }
  }
  lines.push(...stackSection(result));
  lines.push('', '## Next', '');
  result.nextSteps.forEach((step, index) => lines.push(`${index + 1}. ${step}`));
  lines.push('', `## Work package (${result.file})`, '', result.body.trim());
  return lines.join('\n');
}

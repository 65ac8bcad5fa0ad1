/**
 * `kit review`: what the reviewing agent (or person) runs. Without a verdict it gathers what there is to
 * review: the WP's subtasks and acceptance notes, its commits and a diff stat of its branch against its
 * base, whether its worktree is clean and whether its base is current. `--approve` moves it to done and
 * records `reviewed_by` and `review_status: approved`; `--reject --note` sends it back to planned with
 * the feedback. Both are `kit move` underneath (one commit on the target branch, under the lane lock), and
 * only for a WP in for_review.
 */
import { acceptanceNotes, subtaskLines } from '../domain/agent-briefing.js';
import { ExitCode, KitError } from '../errors.js';
import {
  type DiffStat,
  dependencyState,
  diffStat,
  gitUserName,
  readWorkPackageText,
  workPackageBranchFacts,
} from '../io/agent-work-package.js';
import { listFeatureDirs } from '../io/feature-store.js';
import { splitFrontmatter } from '../io/frontmatter.js';
import type { Workspace } from '../io/workspace.js';
import type { Lane } from '../lanes/lane.js';
import type { LanePublication } from '../io/work-package-store.js';
import { moveWorkPackage, notInReviewLane } from './move-work-package.js';
import { resolveWorkPackage, workPackageBranch } from './work-package-context.js';

export type ReviewDecision = 'approve' | 'reject';

export interface ReviewInput {
  wp?: string | undefined;
  feature?: string | undefined;
  decision: ReviewDecision | null;
  note?: string | undefined;
  agent?: string | undefined;
  now: Date;
}

export interface ReviewResult {
  feature: string;
  wp: string;
  title: string;
  lane: Lane;
  /** Who implemented it (the WP's `agent`). */
  agent: string | null;
  file: string;
  targetBranch: string;
  branch: string;
  branchExists: boolean;
  worktree: string | null;
  base: { commit: string | null; branches: string[] };
  subtasks: string[];
  acceptance: string[];
  commits: { sha: string; subject: string }[];
  diffStat: DiffStat | null;
  /** The exact command that shows the whole change under review. */
  diffCommand: string | null;
  /** null when the branch has no worktree to look at. */
  worktreeClean: boolean | null;
  uncommittedFiles: string[] | null;
  /** Every dependency's latest commit is in the branch. */
  baseCurrent: boolean;
  /** Commits each dependency has that the branch lacks, by WP id (only those that lack some). */
  behind: Record<string, number>;
  verdict: {
    decision: 'approved' | 'rejected';
    reviewer: string;
    /** Kit's lanes, or a 3.x feature's own (for_review → approved). */
    from: string;
    to: string;
    /** With a remote: whether the verdict's lane commit reached it. */
    publication: LanePublication | null;
    commit: string | null;
    /** With lane_store: ref, the ref the lane commit is on (refs/kit/lanes/<target>); null otherwise. */
    laneRef: string | null;
    note: string | null;
  } | null;
  warnings: string[];
  nextSteps: string[];
}

export async function reviewWorkPackage(workspace: Workspace, input: ReviewInput): Promise<ReviewResult> {
  const note = input.note?.trim();
  if (input.decision === 'reject' && !note) {
    throw new KitError('a rejection needs the review feedback', {
      hint: `kit review ${input.wp ?? 'WPnn'} --reject --note "what must change, and why"`,
      exitCode: ExitCode.invalidInput,
    });
  }
  if (input.decision !== 'reject' && note) {
    throw new KitError('--note is the feedback of a rejection', {
      hint: 'use it with --reject; an approval needs no note',
      exitCode: ExitCode.invalidInput,
    });
  }
  const { feature, wp, targetBranch } = await resolveWorkPackage(workspace, input);
  if (input.decision && wp.lane !== 'for_review') throw notInReviewLane(wp.id, wp.lane, 'for_review');

  const branch = workPackageBranch(feature.name, wp.id);
  const text = await readWorkPackageText(workspace, targetBranch, wp.file);
  const split = splitFrontmatter(text);
  const body = split.ok ? text.slice(split.bodyStart) : text;
  const { facts, base, commits } = await workPackageBranchFacts(workspace, {
    branch,
    baseCommit: wp.baseCommit,
    targetBranch,
  });
  const behind: Record<string, number> = {};
  for (const id of wp.dependencies) {
    const state = await dependencyState(workspace, workPackageBranch(feature.name, id), facts?.tip ?? null);
    if (state.missingCommits) behind[id] = state.missingCommits;
  }
  const stat = facts && base ? await diffStat(workspace, base, facts.tip) : null;
  const uncommitted = facts?.uncommittedFiles ?? null;
  const featureFlag = listFeatureDirs(workspace).length > 1 ? ` --feature ${feature.name}` : '';

  const warnings: string[] = [];
  if (!facts) warnings.push(`${branch} does not exist: there is no work to review`);
  else if (commits.length === 0) warnings.push(`${branch} has no commits beyond its base`);
  if (uncommitted && uncommitted.length > 0) {
    warnings.push(`${wp.id}'s worktree has ${uncommitted.length} uncommitted file(s), which are not under review`);
  }
  for (const [id, count] of Object.entries(behind)) {
    warnings.push(`${id} has ${count} commit(s) that ${branch} lacks: its base is stale`);
  }

  let verdict: ReviewResult['verdict'] = null;
  let lane = wp.lane;
  if (input.decision) {
    const reviewer =
      input.agent?.trim() ||
      process.env.KIT_AGENT?.trim() ||
      (await gitUserName(workspace)) ||
      process.env.USER ||
      'unknown';
    const to: Lane = input.decision === 'approve' ? 'done' : 'planned';
    const moved = await moveWorkPackage(workspace, {
      wp: wp.id,
      feature: feature.name,
      to,
      note: input.decision === 'reject' ? note : undefined,
      force: false,
      now: input.now,
      review: { reviewer, expectLane: 'for_review' },
    });
    lane = moved.to;
    verdict = {
      decision: input.decision === 'approve' ? 'approved' : 'rejected',
      reviewer,
      // A 3.x feature says its own lanes (for_review → approved), kit's columns would hide the verdict.
      from: moved.statusFrom ?? moved.from,
      to: moved.statusLanes?.at(-1) ?? moved.to,
      commit: moved.commit,
      laneRef: moved.laneRef,
      publication: moved.publication,
      note: note ?? null,
    };
  }

  if (verdict?.publication && !verdict.publication.published) {
    warnings.push(
      `not published to ${verdict.publication.remote}: ${verdict.publication.reason ?? 'unknown'}; it is recorded here, and kit sync publishes it`,
    );
  }
  const nextSteps =
    verdict?.decision === 'approved'
      ? [`kit next${featureFlag}   # what can start now`]
      : verdict?.decision === 'rejected'
        ? [`the implementer resumes it: kit implement ${wp.id}${featureFlag}, then reads kit prompt ${wp.id}`]
        : lane === 'for_review'
          ? [
              ...(stat && base && facts ? [`git diff ${base.slice(0, 12)} ${branch}   # read the whole change`] : []),
              'run the tests in the worktree',
              `kit review ${wp.id}${featureFlag} --approve`,
              `kit review ${wp.id}${featureFlag} --reject --note "<what must change>"`,
            ]
          : [`${wp.id} is in ${lane}: nothing to approve or reject until it is in for_review`];

  return {
    feature: feature.name,
    wp: wp.id,
    title: wp.title,
    lane,
    agent: wp.agent || null,
    file: wp.file,
    targetBranch,
    branch,
    branchExists: facts !== null,
    worktree: facts?.worktree ?? null,
    base: {
      commit: base,
      branches: wp.baseBranch
        ? wp.baseBranch
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean)
        : [],
    },
    subtasks: subtaskLines(body, wp.subtasks),
    acceptance: acceptanceNotes(body),
    commits,
    diffStat: stat,
    diffCommand: facts && base ? `git diff ${base} ${branch}` : null,
    worktreeClean: uncommitted === null ? null : uncommitted.length === 0,
    uncommittedFiles: uncommitted,
    baseCurrent: Object.keys(behind).length === 0,
    behind,
    verdict,
    warnings,
    nextSteps,
  };
}

/** The human text: the verdict when one was given, else everything there is to review. */
export function renderReview(result: ReviewResult): string {
  if (result.verdict) {
    const { verdict } = result;
    const where = verdict.commit
      ? `committed on ${verdict.laneRef ?? result.targetBranch} as ${verdict.commit.slice(0, 12)}`
      : 'edited in place';
    const lines = [
      `${result.feature} ${result.wp}: ${verdict.decision} by ${verdict.reviewer} (${verdict.from} → ${verdict.to}); ${where}`,
    ];
    if (verdict.note) lines.push(`Feedback recorded under ## Review Feedback in ${result.file}.`);
    lines.push(...result.nextSteps.map((step) => `Next: ${step}`));
    return lines.join('\n');
  }
  const lines = [`${result.feature} ${result.wp}: ${result.title || '(untitled)'}`];
  lines.push(`  lane ${result.lane}${result.agent ? `, implemented by ${result.agent}` : ''}; WP file ${result.file}`);
  if (result.branchExists) {
    const base = result.base.commit
      ? `base ${result.base.commit.slice(0, 12)}${result.base.branches.length > 0 ? ` (${result.base.branches.join(' + ')})` : ''}`
      : 'base unknown';
    lines.push(`  branch ${result.branch}, ${base}`);
    lines.push(
      result.worktree === null
        ? '  worktree: none'
        : result.worktreeClean
          ? `  worktree ${result.worktree}: clean`
          : `  worktree ${result.worktree}: ${result.uncommittedFiles?.length ?? 0} uncommitted file(s): ${(result.uncommittedFiles ?? []).slice(0, 10).join(', ')}`,
    );
    lines.push(
      result.baseCurrent
        ? "  base: current (every dependency's latest commit is in the branch)"
        : `  base: stale (${Object.entries(result.behind)
            .map(([id, count]) => `${id} +${count}`)
            .join(', ')})`,
    );
  } else {
    lines.push(`  branch ${result.branch} does not exist`);
  }
  if (result.subtasks.length > 0) lines.push('', 'Subtasks:', ...result.subtasks.map((line) => `  ${line}`));
  if (result.acceptance.length > 0) {
    lines.push('', 'Acceptance:', ...result.acceptance.flatMap((note) => note.split('\n').map((line) => `  ${line}`)));
  }
  if (result.branchExists) {
    lines.push(
      '',
      `Commits (${result.commits.length}):`,
      ...result.commits.map((c) => `  ${c.sha.slice(0, 12)} ${c.subject}`),
    );
  }
  if (result.diffStat) {
    const { files, added, deleted } = result.diffStat;
    lines.push('', `Diff against the base: ${files.length} file(s), +${added} -${deleted}`);
    for (const file of files.slice(0, 50)) {
      const counts = file.added === null ? 'binary' : `+${file.added} -${file.deleted ?? 0}`;
      lines.push(`  ${file.path}  ${counts}`);
    }
    if (files.length > 50) lines.push(`  ... and ${files.length - 50} more`);
  }
  lines.push('', 'Next:', ...result.nextSteps.map((step) => `  ${step}`));
  return lines.join('\n');
}

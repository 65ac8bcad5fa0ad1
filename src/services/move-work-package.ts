import { join } from 'node:path';
import { kitOwnedPathspecs } from '../domain/agent-catalog.js';
import { historyEntry, laneChangeMessage } from '../domain/history.js';
import { addReviewFeedback } from '../domain/review-feedback.js';
import { fileForLane } from '../domain/work-package.js';
import { KitError, LaneMovedError } from '../errors.js';
import {
  editFrontmatter,
  type FrontmatterEdit,
  parseFrontmatterForEdit,
  replaceBody,
  warmUpFrontmatterEditing,
} from '../io/frontmatter.js';
import { GitPlumbing } from '../io/git.js';
import { pushFastForward, releaseClaim } from '../io/remote.js';
import { type LanePublication, writeWorkPackage } from '../io/work-package-store.js';
import { laneRefName, usesLaneRef } from '../io/lane-ref-store.js';
import type { Workspace } from '../io/workspace.js';
import { LANES, type Lane, parseLane } from '../lanes/lane.js';
import { kitLaneOfStatus, STATUS_LANES } from '../domain/status-log.js';
import { statusLaneForTarget } from '../lanes/status-transitions.js';
import { checkTransition } from '../lanes/transitions.js';
import { planStatusChange, recordStatusLaneChanges } from './status-lane-change.js';
import { resolveWorkPackage, type WorkPackageContext, workPackageBranch } from './work-package-context.js';

export interface MoveInput {
  wp?: string | undefined;
  feature?: string | undefined;
  to: string;
  note?: string | undefined;
  agent?: string | undefined;
  force: boolean;
  now: Date;
  /**
   * Set by `kit review`: the verdict is only for a WP in `expectLane` (checked again under the lane lock),
   * the reviewer is recorded as `reviewed_by` and in the history, and the WP's `agent` (its implementer)
   * is left as it is. An approval also records `review_status: approved`.
   */
  review?: { reviewer: string; expectLane: Lane } | undefined;
}

export interface MoveResult {
  feature: string;
  wp: string;
  from: Lane;
  to: Lane;
  /** A 3.x feature's own lanes: where the WP was and the chain recorded to its destination; null otherwise. */
  statusFrom: string | null;
  statusLanes: string[] | null;
  /** With a remote: whether the change reached it, and why not (kit sync publishes it later). */
  publication: LanePublication | null;
  /** Things the user should know (the WP branch could not be published, ...). */
  warnings: string[];
  forced: boolean;
  rejection: boolean;
  file: string;
  commit: string | null;
  targetBranch: string;
  /** With lane_store: ref, the ref the lane commit is on (refs/kit/lanes/<target>); null otherwise. */
  laneRef: string | null;
}

function laneRefOf(workspace: Workspace, target: string): string | null {
  return usesLaneRef(workspace.config) ? laneRefName(target) : null;
}

/** Who is acting, for history entries: --agent, else $KIT_AGENT, else the OS user. */
export function actingAgent(agent: string | undefined): string {
  return agent?.trim() || process.env.KIT_AGENT?.trim() || process.env.USER || 'unknown';
}

/**
 * Moves a WP to another lane: checks the move is legal and its guards hold, then records lane, history
 * (and review feedback for a rejection) as one commit on the target branch.
 */
export async function moveWorkPackage(workspace: Workspace, input: MoveInput): Promise<MoveResult> {
  // The lane edit needs the YAML parser: load it while the WP and its lane are read.
  warmUpFrontmatterEditing();
  const context = await resolveWorkPackage(workspace, { feature: input.feature, wp: input.wp });
  if (context.feature.format === '3.x') return moveStatusWorkPackage(workspace, context, input);
  const to = parseLane(input.to);
  if (!to) {
    throw new KitError(`"${input.to}" is not a lane`, { hint: `lanes: ${LANES.join(', ')}` });
  }
  const { feature, wp } = context;
  const from = wp.lane;
  if (input.review && from !== input.review.expectLane) throw notInReviewLane(wp.id, from, input.review.expectLane);
  const verdict = checkTransition(from, to, { force: input.force });
  if (!verdict.allowed) {
    throw new KitError(`${wp.id} cannot move from ${from} to ${to}: ${verdict.reason}`, {
      hint:
        verdict.legalTargets.length > 0
          ? `kit move ${wp.id} --to ${verdict.legalTargets[0]}${verdict.legalTargets.length > 1 ? ` (or ${verdict.legalTargets.slice(1).join(', ')})` : ''}; --force overrides and is recorded`
          : '--force overrides and is recorded in the history',
    });
  }
  const note = input.note?.trim();
  if (verdict.rejection && !note) {
    throw new KitError(`sending ${wp.id} back from for_review is a rejection and needs the review feedback`, {
      hint: `kit move ${wp.id} --to ${to} --note "what must change"`,
    });
  }
  if (!input.force && to === 'for_review') await guardReadyForReview(workspace, context);

  const agent = input.review?.reviewer ?? actingAgent(input.agent);
  const approval = input.review !== undefined && !verdict.rejection && to === 'done';
  const action = input.force
    ? `Forced move ${from} → ${to}`
    : verdict.rejection
      ? `Returned for changes: ${oneLine(note ?? '')}`
      : approval
        ? `Approved in review: ${from} → ${to}`
        : `Moved ${from} → ${to}`;
  const result = await writeWorkPackage(workspace, {
    targetBranch: context.targetBranch,
    file: wp.file,
    renameTo: fileForLane(wp, to),
    message: () => laneChangeMessage(feature.name, wp.id, from, to, input.force ? 'Forced with --force.' : note),
    transform: async (current) => {
      const fresh = await parseFrontmatterForEdit(current);
      if (!fresh.ok) throw new KitError(`${wp.file}:${fresh.line}: ${fresh.reason}`, { file: wp.file });
      const nowLane = parseLane(fresh.data.lane) ?? from;
      if (nowLane !== from) {
        throw new LaneMovedError(`${wp.id} moved to ${nowLane} while this command ran`, {
          hint: 'check kit status and run the command again if the move still makes sense',
        });
      }
      const edits: FrontmatterEdit[] = [{ kind: 'set', key: 'lane', value: to }];
      if (input.agent) edits.push({ kind: 'set', key: 'agent', value: agent });
      edits.push({ kind: 'set', key: 'shell_pid', value: String(process.ppid) });
      if (verdict.rejection) {
        edits.push({ kind: 'set', key: 'review_status', value: 'has_feedback' });
        edits.push({ kind: 'set', key: 'reviewed_by', value: agent });
      } else if (approval) {
        edits.push({ kind: 'set', key: 'review_status', value: 'approved' });
        edits.push({ kind: 'set', key: 'reviewed_by', value: agent });
      }
      edits.push({
        kind: 'append',
        key: 'history',
        item: { ...historyEntry({ timestamp: input.now, lane: to, agent, shellPid: String(process.ppid), action }) },
      });
      const edited = await editFrontmatter(current, edits);
      if (!verdict.rejection || !note) return edited;
      return replaceBody(edited, (body, eol) =>
        addReviewFeedback(body, { note, reviewer: agent, timestamp: input.now.toISOString() }, eol),
      );
    },
  });
  return {
    feature: feature.name,
    wp: wp.id,
    from,
    to,
    forced: input.force === true && !checkTransition(from, to, { force: false }).allowed,
    rejection: verdict.rejection,
    file: wp.file,
    commit: result.commit,
    targetBranch: context.targetBranch,
    laneRef: laneRefOf(workspace, context.targetBranch),
    statusFrom: null,
    statusLanes: null,
    publication: result.publication,
    warnings:
      to === 'for_review'
        ? await publishWorkPackageBranch(workspace, context)
        : to === 'planned'
          ? await giveClaimBack(workspace, context)
          : [],
  };
}

// 3.x lanes a reviewer's verdict applies to, and those a rejection sends a WP back to.
const AWAITING_REVIEW = new Set(['for_review', 'in_review', 'approved']);
const BACK_TO_WORK = new Set(['planned', 'in_progress']);

/**
 * A move in a Spec Kitty 3.x feature: the destination may be a kit lane or a 3.x lane (approved,
 * blocked, canceled, ...); kit records the chain of 3.x edges that reaches it as events in the log.
 * `kit review --approve` records approved (3.x's merge, or kit merge, records done).
 */
async function moveStatusWorkPackage(
  workspace: Workspace,
  context: WorkPackageContext,
  input: MoveInput,
): Promise<MoveResult> {
  const { feature, wp } = context;
  const approval = input.review !== undefined && parseLane(input.to) === 'done';
  const target = approval ? 'approved' : statusLaneForTarget(input.to);
  if (!target) {
    throw new KitError(`"${input.to}" is not a lane`, {
      hint: `${feature.name} uses Spec Kitty 3.x lanes: ${STATUS_LANES.join(', ')} (or kit's planned, doing, for_review, done)`,
    });
  }
  if (input.review && wp.lane !== input.review.expectLane)
    throw notInReviewLane(wp.id, wp.lane, input.review.expectLane);
  const from = wp.statusLane;
  const path = planStatusChange(wp.id, from, target, input.force, { approval });
  const note = input.note?.trim() || null;
  const rejection = from !== null && AWAITING_REVIEW.has(from) && BACK_TO_WORK.has(target);
  if (rejection && !note && !input.force) {
    throw new KitError(`sending ${wp.id} back from ${from} is a rejection and needs the review feedback`, {
      hint: `kit move ${wp.id} --to ${input.to} --note "what must change"`,
    });
  }
  if (!input.force && target === 'for_review') await guardReadyForReview(workspace, context);
  const actor = input.review?.reviewer ?? actingAgent(input.agent);
  const toLane = kitLaneOfStatus(target);
  // A rejection's feedback also goes where kit prompt shows it: the WP file's "## Review Feedback".
  const editBody =
    rejection && note
      ? (text: string) =>
          replaceBody(text, (body, eol) =>
            addReviewFeedback(body, { note, reviewer: actor, timestamp: input.now.toISOString() }, eol),
          )
      : undefined;
  const result = await recordStatusLaneChanges(workspace, {
    feature,
    targetBranch: context.targetBranch,
    changes: [{ wp, to: target, expectFrom: from, editBody }],
    force: input.force,
    approval,
    actor,
    note,
    reviewer: input.review?.reviewer ?? (rejection || target === 'approved' ? actor : null),
    now: input.now,
    message: statusChangeMessage(
      feature.name,
      wp.id,
      from,
      path,
      input.force ? 'Forced with --force.' : (note ?? undefined),
    ),
  });
  return {
    feature: feature.name,
    wp: wp.id,
    from: wp.lane,
    to: toLane,
    statusFrom: from,
    statusLanes: result.recorded[0]?.lanes ?? path,
    forced: input.force === true,
    rejection,
    file: `${feature.path}/status.events.jsonl`,
    commit: result.commit,
    targetBranch: context.targetBranch,
    laneRef: laneRefOf(workspace, context.targetBranch),
    publication: result.publication,
    warnings:
      target === 'for_review'
        ? await publishWorkPackageBranch(workspace, context)
        : target === 'planned' || target === 'canceled'
          ? await giveClaimBack(workspace, context)
          : [],
  };
}

/**
 * With a remote, handing a WP in also publishes its branch (a fast-forward of the claim there), so a
 * reviewer or a merge on another machine has the work. Returns what went wrong, as warnings.
 */
async function publishWorkPackageBranch(workspace: Workspace, context: WorkPackageContext): Promise<string[]> {
  const remote = workspace.config.remote;
  if (!remote) return [];
  const branch = workPackageBranch(context.feature.name, context.wp.id);
  const tip = await new GitPlumbing(workspace.git).resolveCommit(`refs/heads/${branch}`);
  if (!tip) return [];
  const pushed = await pushFastForward(workspace.git, remote, branch, tip);
  if (pushed.kind === 'pushed') return [];
  return [
    `${branch} is not published to ${remote} (${pushed.kind === 'rejected' ? `${remote} has commits on it that this branch lacks` : pushed.reason}); a merge on another machine needs it: git push ${remote} ${branch}`,
  ];
}

/**
 * With a remote, a WP back in planned (or canceled) is free again: its claim there is released, so
 * another machine's kit next offers it and kit implement can take it. Work on its branch is never deleted.
 */
async function giveClaimBack(workspace: Workspace, context: WorkPackageContext): Promise<string[]> {
  const remote = workspace.config.remote;
  if (!remote) return [];
  const branch = workPackageBranch(context.feature.name, context.wp.id);
  const outcome = await releaseClaim(workspace.git, remote, {
    feature: context.feature.name,
    wp: context.wp.id,
    branch,
    target: context.targetBranch,
  });
  if (outcome === 'offline') return [`the claim of ${context.wp.id} on ${remote} could not be released (unreachable)`];
  if (outcome === 'kept') {
    return [
      `${branch} on ${remote} holds work, so its claim stays there: the WP resumes on that branch (kit implement ${context.wp.id} here)`,
    ];
  }
  return [];
}

/** The commit message of a 3.x lane change: `kit: mission-01KQZC7A WP02 for_review → in_review → approved`. */
export function statusChangeMessage(
  feature: string,
  wp: string,
  from: string | null,
  lanes: readonly string[],
  detail?: string,
): string {
  return `kit: ${feature} ${wp} ${[from ?? 'genesis', ...lanes].join(' → ')}${detail ? `\n\n${detail}` : ''}\n`;
}

/** A review verdict on a WP that is not waiting for one; the hint says what the WP needs first. */
export function notInReviewLane(id: string, lane: Lane, expected: Lane): KitError {
  const hint =
    lane === 'doing'
      ? `its implementer hands it in with kit move ${id} --to for_review; review it after that`
      : lane === 'planned'
        ? `it has not been handed in yet (kit implement ${id} starts it)`
        : lane === 'done'
          ? 'it is done already; nothing to review'
          : `kit status shows where ${id} stands`;
  return new KitError(`${id} is in ${lane}: only a work package in ${expected} can be approved or rejected`, { hint });
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/**
 * Ready for review means: the WP's work is committed (its worktree is clean), there is at least one commit
 * beyond its base, and it did not edit planning files (the specs dir, `.kit/`, kit's agent command files),
 * which belong to the target branch (merging a WP's stale copy back is how other tools reverted newer
 * planning).
 */
async function guardReadyForReview(workspace: Workspace, context: WorkPackageContext): Promise<void> {
  const { feature, wp, targetBranch } = context;
  const git = new GitPlumbing(workspace.git);
  const branch = workPackageBranch(feature.name, wp.id);
  const tip = await git.resolveCommit(`refs/heads/${branch}`);
  if (!tip) {
    throw new KitError(`${wp.id} has no branch ${branch}, so there is nothing to review`, {
      hint: `start it with kit implement ${wp.id}`,
    });
  }
  const worktree = (await workspace.git.worktrees()).find((entry) => entry.branch === branch);
  if (worktree) {
    const dirty = await git.status(worktree.path);
    if (dirty.length > 0) {
      const list = dirty.slice(0, 10).map((entry) => `${entry.code === '??' ? 'untracked' : 'modified'} ${entry.path}`);
      throw new KitError(
        `${wp.id}'s worktree has ${dirty.length} uncommitted file${dirty.length === 1 ? '' : 's'}: ${list.join(', ')}${dirty.length > 10 ? ', ...' : ''}`,
        { hint: `commit them in ${worktree.path} (or remove them), then move ${wp.id} to for_review` },
      );
    }
  }
  const base = wp.baseCommit ?? (await git.output(['merge-base', tip, `refs/heads/${targetBranch}`]));
  const commits = await git.commitsBetween(base, tip);
  if (commits.length === 0) {
    throw new KitError(`${branch} has no commits beyond its base ${base.slice(0, 12)}`, {
      hint: `commit the work in ${worktree?.path ?? branch} first`,
    });
  }
  // Against the fork point with the target (not the recorded base): a WP that merged the target to catch
  // up carries kit's own lane commits, which are not its edits.
  const forkPoint = await git.output(['merge-base', tip, `refs/heads/${targetBranch}`]);
  const specs = await git.changedPaths(forkPoint, tip, workspace.config.specsDir);
  // `.kit/` and the agents' command files kit installs are planning files too: they live on the target.
  const kitFiles = (
    await git.output(['diff', '--name-only', '--no-renames', '-z', forkPoint, tip, '--', ...kitOwnedPathspecs()])
  )
    .split('\0')
    .filter(Boolean);
  const planning = [...specs, ...kitFiles];
  if (planning.length > 0) {
    const checkout = worktree?.path ?? join(workspace.config.worktreesDir, branch);
    const restore = [...(specs.length > 0 ? [workspace.config.specsDir] : []), ...kitFiles].join(' ');
    throw new KitError(
      `${branch} changes planning files, which belong to ${targetBranch}: ${planning.slice(0, 10).join(', ')}`,
      {
        hint: `undo those changes on the WP branch (e.g. git -C ${checkout} checkout ${forkPoint.slice(0, 12)} -- ${restore}, git rm what the branch added, and commit); planning edits go to the main checkout`,
      },
    );
  }
}

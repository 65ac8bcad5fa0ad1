/**
 * Lane changes of a Spec Kitty 3.x feature: events appended to its status.events.jsonl and status.json
 * rendered again from the whole log, as 3.x's own commands do, in one lane commit on the target branch
 * (with the WP file when the change also edits its frontmatter, e.g. the base a start records). The WP
 * file never gets a `lane:`; 3.x does not read one.
 */
import type { Feature } from '../domain/feature.js';
import {
  formatStatusTime,
  isStatusLane,
  missionIdentity,
  parseStatusLog,
  reduceStatusLog,
  renderStatusEventLine,
  renderStatusJson,
  type StatusLane,
  statusEventCount,
  statusEventsFor,
  statusTimeMicros,
} from '../domain/status-log.js';
import type { WorkPackage } from '../domain/work-package.js';
import { ExitCode, KitError, LaneMovedError } from '../errors.js';
import { STATUS_LOG_FILE, STATUS_SNAPSHOT_FILE } from '../io/feature-store.js';
import { editFrontmatter, type FrontmatterEdit } from '../io/frontmatter.js';
import { newUlid } from '../io/ulid.js';
import { type LaneFileChange, type LanePublication, writeLaneFiles } from '../io/work-package-store.js';
import type { Workspace } from '../io/workspace.js';
import { statusEdges, statusPath } from '../lanes/status-transitions.js';

export interface StatusLaneChange {
  wp: WorkPackage;
  to: StatusLane;
  /** The WP's 3.x lane as the caller saw it (null: none yet); anything else under the lock is a refusal. */
  expectFrom: string | null;
  /** Frontmatter edits to the WP file in the same commit (never `lane`). */
  frontmatterEdits?: readonly FrontmatterEdit[] | undefined;
  /** Another edit of the WP file in the same commit (review feedback in its body), after the frontmatter's. */
  editBody?: ((text: string) => string) | undefined;
}

export interface StatusLaneChangesInput {
  feature: Feature;
  targetBranch: string;
  changes: readonly StatusLaneChange[];
  force: boolean;
  actor: string;
  note: string | null;
  reviewer: string | null;
  now: Date;
  message: string;
  /** For done written by `kit merge`: the branch the WPs landed on. */
  mergedInto?: string | undefined;
  /** Set by kit review --approve and kit merge: the change may record an approval. */
  approval?: boolean | undefined;
  /** False: do not push the lane commit to the remote (kit merge publishes the target itself). */
  publish?: boolean | undefined;
  /** The refusal when a WP's lane moved since the caller read it (default: "moved meanwhile"). */
  moved?: ((wp: string, current: { lane: string | null; agent: string | null }) => KitError) | undefined;
}

export interface StatusLaneChangesResult {
  commit: string | null;
  publication: LanePublication | null;
  /** Per WP: the lanes recorded, in order (the chain of 3.x edges that reaches the target). */
  recorded: { wp: string; from: string | null; lanes: StatusLane[] }[];
}

// Lanes a chain may pass through on its way without --force: the bookkeeping steps kit's own commands
// record (a start claims before it works; a verdict is given from in_review). Any other lane on the way
// (in_progress, for_review, approved) is work or a review that must really happen, one command each.
const PASS_THROUGH = new Set<StatusLane>(['claimed', 'in_review']);

function isApprovalEdge(from: StatusLane, to: StatusLane): boolean {
  return (to === 'approved' && from !== 'approved') || (from === 'in_review' && to === 'done');
}

/**
 * The chain of lanes from `from` to `to` (each an allowed 3.x edge), or a KitError naming where the WP can
 * go from here. Without --force a chain may only pass through claimed and in_review, and only a review
 * (`approval`: kit review --approve) may record an approval: `kit move --to done` on a planned WP is
 * refused, not turned into an invented review.
 */
export function planStatusChange(
  wp: string,
  from: string | null,
  to: StatusLane,
  force: boolean,
  options: { approval?: boolean } = {},
): StatusLane[] {
  const start = from ?? 'planned';
  if (!isStatusLane(start)) {
    throw new KitError(`${wp} is in "${start}", which is not a lane kit can move a WP out of`, {
      hint: 'check status.events.jsonl; kit check lists its problems',
    });
  }
  if (start === to) {
    if (from === null) return [];
    throw new KitError(`${wp} cannot move to ${to}: it is already in ${to}`, {
      hint: `kit status shows where ${wp} stands`,
    });
  }
  if (force) return [to];
  const next = statusEdges(start);
  const refuse = (why: string) =>
    new KitError(`${wp} cannot move from ${start} to ${to}: ${why}`, {
      hint:
        next.length === 0
          ? '--force overrides (3.x records it as a forced move, with --note as the reason)'
          : `from ${start} it can move to ${next.join(', ')}; --force overrides (recorded as forced, with --note as the reason)`,
    });
  const path = statusPath(start, to);
  if (!path) throw refuse(next.length === 0 ? `${start} is final in Spec Kitty 3.x` : `3.x has no way there`);
  const through = path.slice(0, -1).filter((lane) => !PASS_THROUGH.has(lane));
  if (through.length > 0) throw refuse(`the way there passes through ${through.join(', ')}, one step at a time`);
  const lanes = [start, ...path];
  const approves = lanes.slice(1).some((lane, index) => isApprovalEdge(lanes[index] as StatusLane, lane));
  if (approves && !options.approval) {
    throw refuse(`that records a review approval; approve with kit review ${wp} --approve`);
  }
  return path;
}

/**
 * Records lane changes of one 3.x feature as one commit on its target branch: under the lane lock it
 * reads the log as committed there, refuses a log it cannot read (file:line, exit 3, nothing written)
 * and any WP whose lane moved since the caller looked, then appends the events and renders status.json.
 */
export async function recordStatusLaneChanges(
  workspace: Workspace,
  input: StatusLaneChangesInput,
): Promise<StatusLaneChangesResult> {
  const { feature } = input;
  const logPath = `${feature.path}/${STATUS_LOG_FILE}`;
  const snapshotPath = `${feature.path}/${STATUS_SNAPSHOT_FILE}`;
  const editsFile = (change: StatusLaneChange) => (change.frontmatterEdits?.length ?? 0) > 0 || !!change.editBody;
  const wpFiles = input.changes.filter(editsFile).map((change) => change.wp.file);
  const known = new Set(feature.workPackages.map((wp) => wp.id));
  const recorded: StatusLaneChangesResult['recorded'] = [];
  const result = await writeLaneFiles(workspace, {
    targetBranch: input.targetBranch,
    files: [logPath, snapshotPath, ...wpFiles],
    message: () => input.message,
    publish: input.publish,
    transform: async (current) => {
      recorded.length = 0;
      const logText = current.get(logPath) ?? '';
      if (current.get(logPath) === null && current.get(snapshotPath) !== null) {
        throw new KitError(
          `${feature.name} has ${STATUS_SNAPSHOT_FILE} but no ${STATUS_LOG_FILE} on ${input.targetBranch}`,
          {
            hint: `kit records lane changes as events in ${logPath}, and starting an empty log would drop the lanes ${STATUS_SNAPSHOT_FILE} holds; rebuild the log with Spec Kitty first, or commit it if it exists only in your working tree`,
            exitCode: ExitCode.invalidInput,
          },
        );
      }
      const parsed = parseStatusLog(logText);
      const bad = parsed.problems[0];
      if (bad) {
        throw new KitError(`${logPath}:${bad.line}: ${bad.message}`, {
          hint: `fix or remove that line (Spec Kitty 3.x cannot read the log either); nothing was written`,
          file: logPath,
          line: bad.line,
          exitCode: ExitCode.invalidInput,
        });
      }
      const orphan = parsed.transitions.find((event) => !known.has(event.wpId));
      if (orphan) {
        throw new KitError(
          `${logPath}:${orphan.line}: an event for ${orphan.wpId}, which has no WP file in ${feature.path}/tasks/`,
          {
            hint: `restore the WP file or remove its events; kit will not add to a log it cannot match to the WPs; nothing was written`,
            file: logPath,
            line: orphan.line,
            exitCode: ExitCode.invalidInput,
          },
        );
      }
      const before = reduceStatusLog(parsed);
      // New events must sort after every event there: 3.x orders by time, not by position in the file.
      const lastMicros = statusTimeMicros(before.materializedAt) ?? 0;
      let atMicros = Math.max(input.now.getTime() * 1000, lastMicros + 1);
      // ...and after it as text too, which is how 3.x compares them (`…00Z` sorts after `…00.000001+00:00`).
      for (let guard = 0; guard < 5 && formatStatusTime(atMicros) <= before.materializedAt; guard++) {
        atMicros = (Math.floor(atMicros / 1_000_000) + 1) * 1_000_000;
      }
      const slug = before.missionSlug || feature.meta?.missionSlug || feature.name;
      const lines: string[] = [];
      const fileChanges: LaneFileChange[] = [];
      for (const change of input.changes) {
        const state = before.workPackages.get(change.wp.id);
        const lane = state && state.lane !== 'uninitialized' ? state.lane : null;
        if (lane !== change.expectFrom) {
          const agent = typeof state?.agent === 'string' ? state.agent : null;
          throw (
            input.moved?.(change.wp.id, { lane, agent }) ??
            new LaneMovedError(`${change.wp.id} moved to ${lane ?? 'no lane'} while this command ran`, {
              hint: 'check kit status and run the command again if the move still makes sense',
            })
          );
        }
        const path = planStatusChange(change.wp.id, lane, change.to, input.force, {
          approval: input.approval === true || input.mergedInto !== undefined,
        });
        const count = statusEventCount(lane, path);
        const events = statusEventsFor({
          wpId: change.wp.id,
          from: lane,
          path,
          force: input.force,
          actor: input.actor,
          note: input.note,
          reviewer: input.reviewer,
          atMicros,
          eventIds: Array.from({ length: count }, () => newUlid(input.now.getTime())),
          missionSlug: slug,
          missionId: feature.meta?.missionId ?? null,
          shellPid: process.ppid,
          priorReview:
            state?.review_result && typeof state.review_result === 'object'
              ? (state.review_result as Record<string, unknown>)
              : null,
          mergedInto: input.mergedInto,
        });
        atMicros += count;
        lines.push(...events.map(renderStatusEventLine));
        recorded.push({ wp: change.wp.id, from: lane, lanes: lane === null ? ['planned', ...path] : path });
        if (editsFile(change)) {
          const text = current.get(change.wp.file);
          if (text === null || text === undefined) {
            throw new KitError(`${change.wp.file} is not committed on ${input.targetBranch}`, {
              hint: `commit the planning files first: git add ${feature.path} && git commit -m "Plan"`,
            });
          }
          const edited = change.frontmatterEdits?.length
            ? await editFrontmatter(text, [...change.frontmatterEdits])
            : text;
          fileChanges.push({ path: change.wp.file, content: change.editBody ? change.editBody(edited) : edited });
        }
      }
      const separator = logText.length > 0 && !logText.endsWith('\n') ? '\n' : '';
      const log = `${logText}${separator}${lines.join('')}`;
      const after = reduceStatusLog(parseStatusLog(log));
      // 3.x orders events by their time as text: a log whose last time is written another way (`Z`, an
      // offset) could sort the new events first and keep the old lane. Never report a move that did not take.
      for (const change of input.changes) {
        const landed = after.workPackages.get(change.wp.id)?.lane;
        if (landed !== change.to) {
          throw new KitError(
            `${change.wp.id} would not end in ${change.to}: ${logPath} reduces to ${landed ?? 'no lane'} with the new events`,
            {
              hint: 'an event in the log has a time kit cannot order after (check its "at" values); nothing was written',
              exitCode: ExitCode.invalidInput,
            },
          );
        }
      }
      const meta = feature.meta;
      const snapshot = renderStatusJson(
        after,
        missionIdentity(
          { mission_number: meta?.missionNumber ?? null, mission_type: meta?.missionType ?? null },
          after.missionSlug,
        ),
      );
      return [{ path: logPath, content: log }, { path: snapshotPath, content: snapshot }, ...fileChanges];
    },
  });
  return { commit: result.commit, publication: result.publication, recorded };
}

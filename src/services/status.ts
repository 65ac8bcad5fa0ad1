import { blockingDependencies, progress } from '../domain/board.js';
import { type FeatureFormat, featureTitle } from '../domain/feature.js';
import type { Problem } from '../domain/problem.js';
import type { StaleDependency } from '../domain/stack.js';
import { loadLaneState } from '../io/feature-store.js';
import { collectGitFacts, prefetchGitFacts, type WorkPackageGitQuery } from '../io/git-facts.js';
import { readLastSync, readRemoteClaims } from '../io/remote.js';
import {
  type ReadIndexInputs,
  type ReadIndexKey,
  readIndexFile,
  readIndexKey,
  readStoredIndex,
  writeStoredIndex,
} from '../io/read-index.js';
import { uncommittedFilesOf } from '../io/worktree-changes.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import type { Lane } from '../lanes/lane.js';
import { selectFeatures } from './feature-selection.js';
import { addConflictForecast, type ForecastConflict, staleBaseOf } from './stack-forecast.js';
import { targetBranchOf, workPackageBranch } from './work-package-context.js';

/** Bumped on any incompatible change to the JSON below (documented in docs/cli-reference.md). */
export const STATUS_SCHEMA_VERSION = 1;

export interface StatusGit {
  tip: string;
  ahead: number;
  behind: Record<string, number>;
  staleBase: boolean;
  uncommitted: number | null;
  uncommittedFiles: string[] | null;
  lastCommitAt: string;
  lastCommitAgeSeconds: number;
  locked: boolean;
}

export interface StatusWorkPackage {
  id: string;
  title: string;
  /** The board column: planned, doing, for_review or done. */
  lane: Lane;
  /**
   * A Spec Kitty 3.x feature's own lane (planned, claimed, in_progress, for_review, in_review, approved,
   * done, blocked, canceled); null in the 1.x and lane-folder formats.
   */
  statusLane: string | null;
  dependencies: string[];
  blockedBy: string[];
  agent: string | null;
  branch: string | null;
  worktree: string | null;
  file: string;
  git: StatusGit | null;
  /**
   * With a remote: the WP is claimed by a clone on another machine (a claim record fetched by the last
   * kit sync, and no worktree of it here); null otherwise.
   */
  claimedElsewhere: { agent: string; host: string; at: string } | null;
  /** In flight (doing or for review, with a branch): the dependencies with commits its branch lacks. */
  staleBase: StaleDependency[];
  /**
   * In flight: the other WPs in flight of the feature it would conflict with if the two were merged, with
   * the files; null for a WP not in flight (nothing forecast).
   */
  conflicts: ForecastConflict[] | null;
}

export interface StatusFeature {
  id: string;
  title: string;
  /** Where its lanes live: `1.x` (frontmatter), `lane-folders` (tasks/<lane>/) or `3.x` (status.events.jsonl). */
  format: FeatureFormat;
  /** For a 3.x feature: whether the lanes came from the event log or status.json, and whether status.json is current. */
  laneStatus: { source: 'events' | 'snapshot'; snapshotCurrent: boolean | null } | null;
  targetBranch: string;
  progress: { done: number; total: number; percent: number };
  workPackages: StatusWorkPackage[];
  problems: Problem[];
}

export interface StatusResult {
  schemaVersion: number;
  /** With a remote: which one, and when this clone last synced with it (null: never). Null without a remote. */
  sync: { remote: string; lastSyncAt: string | null; ageSeconds: number | null } | null;
  features: StatusFeature[];
}

/**
 * Every WP of every (or one) feature with its lane and its git facts. A warm run answers from the read index
 * (src/io/read-index.ts): the result last computed from the same planning files, refs and worktrees, with
 * each worktree's uncommitted files asked of git afresh and the ages computed from `now` (refreshStatus).
 * Everything else in the result, whatever is added to it, must depend only on what the index fingerprints.
 */
export async function collectStatus(
  workspace: Workspace,
  input: { feature?: string | undefined; now: Date },
): Promise<StatusResult> {
  const inputs = statusIndexInputs(workspace, input.feature);
  // The worktrees' uncommitted files are asked of git first, so git works while the fingerprint is taken.
  const stored = readStoredIndex<StatusResult>(readIndexFile(inputs));
  const uncommitted = stored ? uncommittedFilesOf(workspace.git, stored.worktrees, workspace.commonDir) : null;
  uncommitted?.catch(() => undefined);
  const key = readIndexKey(inputs);
  if (stored && uncommitted && key?.digest === stored.digest) {
    return refreshStatus(stored.result, await uncommitted, input.now);
  }
  return (await computeAndStoreStatus(workspace, input, key, uncommitted)).result;
}

/** What the read index of status is keyed on, for this workspace and selection. */
export function statusIndexInputs(workspace: Workspace, feature: string | undefined): ReadIndexInputs {
  return {
    root: workspace.root,
    commonDir: workspace.commonDir,
    specsPath: workspace.specsPath,
    config: workspace.config,
    configFile: workspace.configFile,
    kind: 'status',
    selection: feature ?? null,
  };
}

/**
 * The status computed afresh, stored in the read index under `key`; `uncommitted`: worktree statuses
 * already being asked in this run, reused for the worktrees that are still live.
 */
export async function computeAndStoreStatus(
  workspace: Workspace,
  input: { feature?: string | undefined; now: Date },
  key: ReadIndexKey | null,
  uncommitted: Promise<Map<string, string[] | null>> | null,
): Promise<{ result: StatusResult; worktrees: string[] }> {
  const computed = await computeStatus(workspace, input, uncommitted);
  // Stored before the caller can change the result (the JSON text path turns it into a template).
  if (key) writeStoredIndex(key, computed);
  return computed;
}

/**
 * What changes between two runs on the same inputs: each worktree's uncommitted files, and the ages
 * measured from `now`. Sets them in place (the key order stays that of a computed result). A value set
 * here must also have a slot in the status --json template (templateOf in ./status-json.ts), or the fast
 * path would print it as it was when the template was made; the read-index test compares both paths.
 */
function refreshStatus(
  result: StatusResult,
  uncommitted: ReadonlyMap<string, string[] | null>,
  now: Date,
): StatusResult {
  const ageSeconds = (at: string) => Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  if (result.sync) result.sync.ageSeconds = result.sync.lastSyncAt ? ageSeconds(result.sync.lastSyncAt) : null;
  for (const feature of result.features) {
    for (const wp of feature.workPackages) {
      if (!wp.git) continue;
      if (wp.worktree !== null && uncommitted.has(wp.worktree)) {
        const files = uncommitted.get(wp.worktree) ?? null;
        wp.git.uncommitted = files?.length ?? null;
        wp.git.uncommittedFiles = files;
      }
      wp.git.lastCommitAgeSeconds = ageSeconds(wp.git.lastCommitAt);
    }
  }
  return result;
}

/** The status computed from the planning files and git; `worktrees`: those whose uncommitted files it shows. */
async function computeStatus(
  workspace: Workspace,
  input: { feature?: string | undefined; now: Date },
  uncommitted: Promise<Map<string, string[] | null>> | null,
): Promise<{ result: StatusResult; worktrees: string[] }> {
  const selected = selectFeatures(workspace, input.feature);
  // WP branches are named <feature>-<WP>: git can look at those worktrees while the lanes load.
  const prefixes = selected.map((feature) => `${feature.name}-`);
  const prefetch = prefetchGitFacts(workspace.git, (branch) => prefixes.some((prefix) => branch.startsWith(prefix)), {
    commonDir: workspace.commonDir,
    uncommitted,
  });
  const features = await loadLaneState(workspace, selected);
  const targets = await Promise.all(features.map((feature) => targetBranchOf(workspace, feature).catch(() => '')));
  const queries: WorkPackageGitQuery[] = features.flatMap((feature) =>
    feature.workPackages.map((wp) => ({
      key: `${feature.name}/${wp.id}`,
      branch: workPackageBranch(feature.name, wp.id),
      baseCommit: wp.baseCommit,
      dependencyBranches: wp.dependencies.map((id) => ({ id, branch: workPackageBranch(feature.name, id) })),
    })),
  );
  const remote = workspace.config.remote;
  const [facts, remoteClaims] = await Promise.all([
    collectGitFacts(workspace.git, queries, [...new Set(targets.filter(Boolean))], prefetch),
    remote ? readRemoteClaims(workspace.git, remote) : Promise.resolve([]),
  ]);
  const claims = new Map(
    remoteClaims.filter((claim) => !claim.own).map((claim) => [`${claim.feature}/${claim.wp}`, claim]),
  );
  const lastSync = remote ? readLastSync(kitStateDir(workspace)) : null;
  const worktrees = [...(await prefetch.statuses).keys()];
  const result: StatusResult = {
    schemaVersion: STATUS_SCHEMA_VERSION,
    sync: remote
      ? {
          remote,
          lastSyncAt: lastSync?.at ?? null,
          ageSeconds: lastSync ? Math.max(0, Math.round((input.now.getTime() - Date.parse(lastSync.at)) / 1000)) : null,
        }
      : null,
    features: features.map((feature, index) => ({
      id: feature.name,
      title: featureTitle(feature),
      format: feature.format,
      laneStatus: feature.laneStatus
        ? { source: feature.laneStatus.source, snapshotCurrent: feature.laneStatus.snapshotCurrent }
        : null,
      targetBranch: targets[index] ?? '',
      progress: progress(feature.workPackages),
      problems: feature.problems,
      workPackages: feature.workPackages.map((wp) => {
        const git = facts.get(`${feature.name}/${wp.id}`);
        const claim = claims.get(`${feature.name}/${wp.id}`);
        return {
          id: wp.id,
          title: wp.title,
          lane: wp.lane,
          statusLane: wp.statusLane,
          dependencies: wp.dependencies,
          blockedBy: wp.lane === 'planned' ? blockingDependencies(wp, feature.workPackages) : [],
          agent: wp.agent || null,
          branch: git?.branch ?? null,
          worktree: git?.worktree ?? null,
          file: wp.file,
          git: git
            ? {
                tip: git.tip,
                ahead: git.ahead,
                behind: git.behind,
                staleBase: Object.values(git.behind).some((count) => count > 0),
                uncommitted: git.uncommittedFiles?.length ?? null,
                uncommittedFiles: git.uncommittedFiles,
                lastCommitAt: git.lastCommitAt,
                lastCommitAgeSeconds: Math.max(
                  0,
                  Math.round((input.now.getTime() - Date.parse(git.lastCommitAt)) / 1000),
                ),
                locked: git.locked,
              }
            : null,
          claimedElsewhere: claim && !git?.worktree ? { agent: claim.agent, host: claim.host, at: claim.at } : null,
          staleBase: staleBaseOf({ lane: wp.lane, git: git ?? null }),
          conflicts: null,
        };
      }),
    })),
  };
  await addConflictForecast(workspace, result.features);
  return { result, worktrees };
}

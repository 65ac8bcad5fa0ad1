import { type FeatureFormat, featureTitle } from '../domain/feature.js';
import { compareProblems, type Problem } from '../domain/problem.js';
import { loadFeatures } from '../io/feature-store.js';
import { readIndexKey, readStoredIndex, writeStoredIndex } from '../io/read-index.js';
import type { Workspace } from '../io/workspace.js';
import { isUnfinished, LANES, type Lane } from '../lanes/lane.js';
import { selectFeatures } from './feature-selection.js';

export interface CheckedFeature {
  id: string;
  title: string;
  format: FeatureFormat;
  counts: Record<Lane, number>;
  /** `statusLane`: a 3.x feature's own lane (approved, in_review, ...); null in the frontmatter formats. */
  workPackages: { id: string; lane: Lane; statusLane: string | null; file: string }[];
}

export interface CheckResult {
  ok: boolean;
  strict: boolean;
  features: CheckedFeature[];
  problems: Problem[];
}

/**
 * The CI gate: every problem in the planning tree, plus every WP still being worked on (doing,
 * for_review; with strict also planned). Without a feature it checks all of them.
 */
/**
 * Every (or one) feature's WPs, lanes and problems. A warm run answers from the read index
 * (src/io/read-index.ts): the result last computed from the same planning files and config.
 */
export function checkPlanning(
  workspace: Workspace,
  input: { feature?: string | undefined; strict: boolean },
): CheckResult {
  const inputs = {
    root: workspace.root,
    commonDir: workspace.commonDir,
    specsPath: workspace.specsPath,
    config: workspace.config,
    configFile: workspace.configFile,
    kind: 'check' as const,
    selection: `${input.feature ?? '*'}\0${input.strict}`,
  };
  const key = readIndexKey(inputs);
  const stored = key ? readStoredIndex<CheckResult>(key.file) : null;
  if (key && stored?.digest === key.digest) return stored.result;
  const result = computeCheck(workspace, input);
  if (key) writeStoredIndex(key, { result, worktrees: [] });
  return result;
}

function computeCheck(workspace: Workspace, input: { feature?: string | undefined; strict: boolean }): CheckResult {
  const features = loadFeatures(workspace, selectFeatures(workspace, input.feature));
  const problems: Problem[] = [];
  const checked: CheckedFeature[] = [];
  for (const feature of features) {
    problems.push(...feature.problems);
    const counts = Object.fromEntries(LANES.map((lane) => [lane, 0])) as Record<Lane, number>;
    for (const wp of feature.workPackages) {
      counts[wp.lane]++;
      if (isUnfinished(wp.lane, input.strict)) {
        // In 3.x the lane is the log's last transition for the WP: point there.
        const logLine = feature.laneStatus?.source === 'events' ? feature.laneStatus.lanes.get(wp.id)?.line : undefined;
        problems.push({
          kind: 'unfinished',
          feature: feature.name,
          wp: wp.id,
          file: logLine ? `${feature.path}/status.events.jsonl` : wp.file,
          line: logLine ?? wp.keyLines.lane ?? null,
          message:
            wp.statusLane && wp.statusLane !== wp.lane
              ? `${wp.id} is in ${wp.statusLane} (${wp.lane}): every work package must be done${wp.statusLane === 'approved' ? ' (approved waits for its merge)' : ''}`
              : `${wp.id} is in ${wp.lane}: every work package must be done`,
        });
      }
    }
    checked.push({
      id: feature.name,
      title: featureTitle(feature),
      format: feature.format,
      counts,
      workPackages: feature.workPackages.map((wp) => ({
        id: wp.id,
        lane: wp.lane,
        statusLane: wp.statusLane,
        file: wp.file,
      })),
    });
  }
  problems.sort(compareProblems);
  return { ok: problems.length === 0, strict: input.strict === true, features: checked, problems };
}

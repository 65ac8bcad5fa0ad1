import { featureTitle } from '../domain/feature.js';
import { compareProblems, type Problem } from '../domain/problem.js';
import { loadFeatures } from '../io/feature-store.js';
import type { Workspace } from '../io/workspace.js';
import { isUnfinished, LANES, type Lane } from '../lanes/lane.js';
import { selectFeatures } from './feature-selection.js';

export interface CheckedFeature {
  id: string;
  title: string;
  counts: Record<Lane, number>;
  workPackages: { id: string; lane: Lane; file: string }[];
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
export function checkPlanning(
  workspace: Workspace,
  input: { feature?: string | undefined; strict: boolean },
): CheckResult {
  const features = loadFeatures(workspace, selectFeatures(workspace, input.feature));
  const problems: Problem[] = [];
  const checked: CheckedFeature[] = [];
  for (const feature of features) {
    problems.push(...feature.problems);
    const counts = Object.fromEntries(LANES.map((lane) => [lane, 0])) as Record<Lane, number>;
    for (const wp of feature.workPackages) {
      counts[wp.lane]++;
      if (isUnfinished(wp.lane, input.strict)) {
        problems.push({
          kind: 'unfinished',
          feature: feature.name,
          wp: wp.id,
          file: wp.file,
          line: wp.keyLines.lane ?? null,
          message: `${wp.id} is in ${wp.lane}: every work package must be done`,
        });
      }
    }
    checked.push({
      id: feature.name,
      title: featureTitle(feature),
      counts,
      workPackages: feature.workPackages.map((wp) => ({ id: wp.id, lane: wp.lane, file: wp.file })),
    });
  }
  problems.sort(compareProblems);
  return { ok: problems.length === 0, strict: input.strict === true, features: checked, problems };
}

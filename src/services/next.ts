import { implementCommand, readyWorkPackages } from '../domain/board.js';
import { loadLaneState } from '../io/feature-store.js';
import type { Workspace } from '../io/workspace.js';
import { selectFeatures } from './feature-selection.js';

export interface NextResult {
  /** How many WPs are planned in all (ready or not). */
  planned: number;
  ready: { feature: string; id: string; title: string; dependencies: string[]; command: string }[];
}

/** Planned WPs whose dependencies are all done, per feature in dependency order. */
export async function nextWorkPackages(
  workspace: Workspace,
  input: { feature?: string | undefined },
): Promise<NextResult> {
  const features = await loadLaneState(workspace, selectFeatures(workspace, input.feature));
  const several = features.length > 1;
  return {
    planned: features.reduce(
      (sum, feature) => sum + feature.workPackages.filter((wp) => wp.lane === 'planned').length,
      0,
    ),
    ready: features.flatMap((feature) =>
      readyWorkPackages(feature.workPackages).map((wp) => ({
        feature: feature.name,
        id: wp.id,
        title: wp.title,
        dependencies: wp.dependencies,
        command: implementCommand(wp, feature.name, several),
      })),
    ),
  };
}

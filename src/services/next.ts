import { implementCommand, readyWorkPackages } from '../domain/board.js';
import { loadLaneState } from '../io/feature-store.js';
import { readRemoteClaims } from '../io/remote.js';
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
  const remote = workspace.config.remote;
  const [features, remoteClaims] = await Promise.all([
    loadLaneState(workspace, selectFeatures(workspace, input.feature)),
    remote ? readRemoteClaims(workspace.git, remote) : Promise.resolve([]),
  ]);
  // A WP another clone claimed (as of the last kit sync) is not free, whatever its lane says here.
  const claimed = new Set(remoteClaims.filter((claim) => !claim.own).map((claim) => `${claim.feature}/${claim.wp}`));
  const several = features.length > 1;
  return {
    planned: features.reduce(
      (sum, feature) => sum + feature.workPackages.filter((wp) => wp.lane === 'planned').length,
      0,
    ),
    ready: features.flatMap((feature) =>
      readyWorkPackages(feature.workPackages)
        .filter((wp) => !claimed.has(`${feature.name}/${wp.id}`))
        .map((wp) => ({
          feature: feature.name,
          id: wp.id,
          title: wp.title,
          dependencies: wp.dependencies,
          command: implementCommand(wp, feature.name, several),
        })),
    ),
  };
}

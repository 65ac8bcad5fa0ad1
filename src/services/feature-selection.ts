import { resolveFeatureReference } from '../domain/feature.js';
import { parseWorkPackageBranch } from '../domain/identifiers.js';
import { ExitCode, KitError } from '../errors.js';
import { type FeatureDir, listFeatureDirs, readFeatureMeta } from '../io/feature-store.js';
import type { Workspace } from '../io/workspace.js';

/**
 * The one feature a command acts on: the one named; else the feature of the WP worktree the command
 * runs in (its branch is `<feature>-WPnn`); else the only feature there is; else an error listing them.
 */
export async function selectFeature(workspace: Workspace, reference: string | undefined): Promise<FeatureDir> {
  const features = listFeatureDirs(workspace);
  if (reference !== undefined) return resolveReference(workspace, features, reference);
  if (workspace.checkoutRoot !== workspace.root) {
    const branch = await workspace.checkoutGit.currentBranch();
    const fromBranch = branch ? parseWorkPackageBranch(branch) : undefined;
    const match = fromBranch && features.find((feature) => feature.name === fromBranch.feature);
    if (match) return match;
  }
  if (features.length === 1 && features[0]) return features[0];
  if (features.length === 0) {
    throw new KitError(`there are no features in ${workspace.config.specsDir}/`, {
      hint: 'create one with kit specify "<description>"',
      exitCode: ExitCode.invalidInput,
    });
  }
  throw new KitError(`there are ${features.length} features; say which one with --feature`, {
    hint: `features: ${features.map((feature) => feature.name).join(', ')}`,
    exitCode: ExitCode.invalidInput,
  });
}

/** The features a command over "all features unless one is named" acts on. */
export function selectFeatures(workspace: Workspace, reference: string | undefined): FeatureDir[] {
  const features = listFeatureDirs(workspace);
  return reference === undefined ? features : [resolveReference(workspace, features, reference)];
}

/**
 * A feature by its directory name, number or slug; failing those, by the mission id or mission slug a
 * Spec Kitty 3.x meta.json records (read only on this slow path).
 */
function resolveReference(workspace: Workspace, features: FeatureDir[], reference: string): FeatureDir {
  try {
    return resolveFeatureReference(features, reference);
  } catch (error) {
    const wanted = reference.trim();
    const byMission = features.filter((feature) => {
      const meta = readFeatureMeta(workspace, feature).meta;
      return !!wanted && (meta?.missionId === wanted || meta?.missionSlug === wanted);
    });
    if (byMission.length === 1 && byMission[0]) return byMission[0];
    throw error;
  }
}

import type { Feature } from '../domain/feature.js';
import { normalizeWorkPackageId, parseWorkPackageBranch } from '../domain/identifiers.js';
import type { WorkPackage } from '../domain/work-package.js';
import { KitError } from '../errors.js';
import { listFeatureDirs, loadFeatures, loadLaneState } from '../io/feature-store.js';
import { mainCheckoutBranch, type Workspace } from '../io/workspace.js';
import { selectFeature } from './feature-selection.js';

export interface WorkPackageContext {
  feature: Feature;
  wp: WorkPackage;
  /** The branch lane state and merges go to: meta.json's target_branch, else the main checkout's branch. */
  targetBranch: string;
}

/** The branch and worktree name of a WP: `<feature>-<WP>`, e.g. `001-user-auth-WP02`. */
export function workPackageBranch(feature: string, wp: string): string {
  return `${feature}-${wp}`;
}

/** Parses a WP id from the command line; anything path-like or malformed is refused here. */
export function parseWorkPackageArgument(value: string): string {
  const id = normalizeWorkPackageId(value);
  if (!id) {
    throw new KitError(`"${value}" is not a work package id`, { hint: 'WP ids are WP + 2 or 3 digits, e.g. WP02' });
  }
  return id;
}

/** The target branch of a feature: its meta.json, else the branch the main checkout has out. */
export async function targetBranchOf(workspace: Workspace, feature: Feature): Promise<string> {
  const declared = feature.meta?.targetBranch?.trim();
  if (declared) return declared;
  const current = await mainCheckoutBranch(workspace);
  if (!current) {
    throw new KitError(`${feature.name}/meta.json has no target_branch and the main checkout is detached`, {
      hint: `add "target_branch": "main" (the branch the feature merges into) to ${feature.path}/meta.json`,
    });
  }
  return current;
}

/**
 * The WP a command acts on: the one named (in the named feature, or the feature chosen as usual), or,
 * inside a WP worktree, the worktree's own WP.
 */
export async function resolveWorkPackage(
  workspace: Workspace,
  input: { feature?: string | undefined; wp?: string | undefined },
): Promise<WorkPackageContext> {
  let wpId = input.wp === undefined ? undefined : parseWorkPackageArgument(input.wp);
  if (wpId === undefined) {
    const branch = workspace.checkoutRoot !== workspace.root ? await workspace.checkoutGit.currentBranch() : null;
    const fromBranch = branch ? parseWorkPackageBranch(branch) : undefined;
    if (!fromBranch) {
      throw new KitError('which work package? name it (e.g. WP02)', {
        hint: 'outside a WP worktree the WP must be given on the command line',
      });
    }
    wpId = fromBranch.wp;
  }
  const featureDir = await selectFeature(workspace, input.feature);
  const [feature] = await loadLaneState(workspace, [featureDir]);
  if (!feature) throw new Error(`feature ${featureDir.name} vanished while loading`);
  const wp = feature.workPackages.find((candidate) => candidate.id === wpId);
  if (!wp) {
    const broken = feature.problems.find((problem) => problem.wp === wpId && problem.file);
    if (broken) {
      throw new KitError(
        `${wpId} cannot be read: ${broken.file}${broken.line ? `:${broken.line}` : ''}: ${broken.message}`,
        {
          hint: 'fix the file (kit check lists every problem), then run the command again',
        },
      );
    }
    const elsewhere = input.feature === undefined ? [] : otherFeaturesWith(workspace, feature.name, wpId);
    throw new KitError(`${feature.name} has no ${wpId}`, {
      hint:
        feature.workPackages.length === 0
          ? `it has no work packages yet: run kit tasks --feature ${feature.name}`
          : `its work packages: ${feature.workPackages.map((candidate) => candidate.id).join(', ')}${
              elsewhere.length > 0 ? `; ${wpId} exists in ${elsewhere.join(', ')}` : ''
            }`,
    });
  }
  return { feature, wp, targetBranch: await targetBranchOf(workspace, feature) };
}

function otherFeaturesWith(workspace: Workspace, current: string, wpId: string): string[] {
  const others = listFeatureDirs(workspace).filter((dir) => dir.name !== current);
  return loadFeatures(workspace, others)
    .filter((feature) => feature.workPackages.some((wp) => wp.id === wpId))
    .map((feature) => feature.name);
}

/**
 * The stack facts `kit status` adds to each WP in flight: whether its base is stale (a dependency has
 * commits its branch lacks) and which other WPs in flight in the same feature it would conflict with if
 * the two were merged, and in which files. The stale counts come from the git facts status already read;
 * the forecast merges every pair in memory, cached by the two tips (src/io/conflict-forecast.ts).
 */
import { forecastPairs, isInFlight, pairKey, type StaleDependency, staleDependencies } from '../domain/stack.js';
import { forecastConflicts } from '../io/conflict-forecast.js';
import { GitPlumbing } from '../io/git.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import type { Lane } from '../lanes/lane.js';
import { workPackageBranch } from './work-package-context.js';

export interface ForecastConflict {
  /** The other WP in flight. */
  with: string;
  /** The files the two would conflict in. */
  files: string[];
}

interface StackWorkPackage {
  id: string;
  lane: Lane;
  git: { tip: string; behind: Record<string, number> } | null;
  staleBase: StaleDependency[];
  conflicts: ForecastConflict[] | null;
}

/** The stale dependencies of a WP in flight (none for any other: only work in progress can be restacked). */
export function staleBaseOf(wp: { lane: Lane; git: { tip: string; behind: Record<string, number> } | null }) {
  return wp.git && isInFlight({ lane: wp.lane, tip: wp.git.tip }) ? staleDependencies(wp.git.behind) : [];
}

/**
 * Sets `conflicts` on every WP in flight of each feature: the others it would conflict with (empty: none).
 * WPs not in flight keep null: nothing was forecast for them.
 */
export async function addConflictForecast(
  workspace: Workspace,
  features: readonly { workPackages: StackWorkPackage[] }[],
): Promise<void> {
  const flying = (feature: { workPackages: StackWorkPackage[] }) =>
    feature.workPackages.flatMap((wp) =>
      wp.git && isInFlight({ lane: wp.lane, tip: wp.git.tip }) ? [{ id: wp.id, tip: wp.git.tip, wp }] : [],
    );
  const pairs = features.flatMap((feature) => forecastPairs(flying(feature)));
  let answers: Map<string, string[]>;
  try {
    answers = await forecastConflicts(
      workspace.git,
      kitStateDir(workspace),
      pairs.map(([first, second]) => ({ first: first.tip, second: second.tip })),
    );
  } catch {
    // The forecast is advice: if git cannot give it, the board still shows everything else (conflicts null).
    return;
  }
  for (const feature of features) for (const { wp } of flying(feature)) wp.conflicts = [];
  for (const [first, second] of pairs) {
    const files = answers.get(pairKey(first.tip, second.tip));
    if (!files || files.length === 0) continue;
    first.wp.conflicts?.push({ with: second.id, files });
    second.wp.conflicts?.push({ with: first.id, files });
  }
}

/**
 * The forecast for one WP (for `kit prompt`): the other WPs in flight of its feature that it would
 * conflict with; null when it is not in flight itself.
 */
export async function conflictsOfWorkPackage(
  workspace: Workspace,
  feature: { name: string; workPackages: readonly { id: string; lane: Lane }[] },
  wpId: string,
): Promise<ForecastConflict[] | null> {
  const tips = await new GitPlumbing(workspace.git).branchTips();
  const flying = feature.workPackages.flatMap((wp) => {
    const tip = tips.get(workPackageBranch(feature.name, wp.id)) ?? null;
    return tip && isInFlight({ lane: wp.lane, tip }) ? [{ id: wp.id, tip }] : [];
  });
  const own = flying.find((wp) => wp.id === wpId);
  if (!own) return null;
  const others = flying.filter((wp) => wp.id !== wpId);
  const answers = await forecastConflicts(
    workspace.git,
    kitStateDir(workspace),
    others.map((other) => ({ first: own.tip, second: other.tip })),
  );
  return others.flatMap((other) => {
    const files = answers.get(pairKey(own.tip, other.tip));
    return files && files.length > 0 ? [{ with: other.id, files }] : [];
  });
}

/**
 * Features (`kitty-specs/NNN-slug/`) and the rules over a feature's set of work packages. Pure.
 */
import { ExitCode, KitError } from '../errors.js';
import { compareWorkPackageIds, findCycles, findMissingDependencies } from './dependency-graph.js';
import { type FeatureDirName, parseFeatureDirName } from './identifiers.js';
import type { Problem } from './problem.js';
import type { FeatureLaneStatus } from './status-log.js';
import type { WorkPackage } from './work-package.js';

/** meta.json as kit reads it; keys kit does not know are kept by the code that writes it. */
export interface FeatureMeta {
  featureNumber: string | null;
  slug: string | null;
  friendlyName: string | null;
  targetBranch: string | null;
  createdAt: string | null;
  /** Spec Kitty 3.x: the mission's ULID, slug, type and number as meta.json has them. */
  missionId: string | null;
  missionSlug: string | null;
  missionType: string | null;
  missionNumber: string | number | null;
}

/**
 * Which Spec Kitty era a feature's lanes follow: `1.x` (lane in each WP's frontmatter), `lane-folders`
 * (the older `tasks/<lane>/` layout) or `3.x` (status.events.jsonl and status.json).
 */
export type FeatureFormat = '1.x' | 'lane-folders' | '3.x';

export interface Feature extends FeatureDirName {
  /** Repository-relative path of the feature directory. */
  path: string;
  format: FeatureFormat;
  /** For a 3.x feature: its lanes as the status files give them, and what was wrong with them. */
  laneStatus: FeatureLaneStatus | null;
  meta: FeatureMeta | null;
  workPackages: WorkPackage[];
  problems: Problem[];
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** Reads meta.json's fields; a wrong type counts as absent (and is reported by the caller's check). */
export function interpretMeta(data: unknown): FeatureMeta | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const record = data as Record<string, unknown>;
  return {
    featureNumber: text(record.feature_number),
    slug: text(record.slug),
    friendlyName: text(record.friendly_name),
    targetBranch: text(record.target_branch),
    createdAt: text(record.created_at),
    missionId: text(record.mission_id),
    missionSlug: text(record.mission_slug),
    missionType: text(record.mission_type),
    missionNumber:
      typeof record.mission_number === 'number' || typeof record.mission_number === 'string'
        ? record.mission_number
        : null,
  };
}

/** The title people see for a feature: meta.json's friendly name (3.x: also its mission title), else its directory name. */
export function featureTitle(feature: Pick<Feature, 'meta' | 'name'>): string {
  return feature.meta?.friendlyName?.trim() || feature.name;
}

/**
 * Finds the feature a command-line reference names: its directory name (`001-user-auth`), its number
 * (`001` or `1`) or its slug (`user-auth`). Errors list what exists, so an agent can correct itself.
 */
export function resolveFeatureReference<T extends FeatureDirName>(features: readonly T[], reference: string): T {
  const wanted = reference.trim().replace(/\/+$/, '');
  const available = () =>
    features.length === 0 ? 'there are no features yet (kit specify creates one)' : `features: ${listNames(features)}`;
  if (!wanted || /[\0/\\]/.test(wanted) || wanted.split(/[/\\]/).includes('..')) {
    throw new KitError(`"${reference}" is not a feature name`, {
      hint: `name a feature by its directory, number or slug; ${available()}`,
    });
  }
  const byName = features.find((f) => f.name === wanted);
  if (byName) return byName;
  if (/^\d+$/.test(wanted)) {
    const matches = features.filter((f) => f.number !== null && f.number === Number(wanted));
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1) {
      throw new KitError(`feature number ${wanted} is used by ${listNames(matches)}`, {
        hint: 'name the feature by its directory name',
      });
    }
  }
  // A full directory name (`999-user-auth`) that does not exist is an error, not a slug match: the
  // number says which feature was meant, and guessing another one would act on the wrong feature.
  if (parseFeatureDirName(wanted)) {
    throw new KitError(`no feature "${wanted}"`, { hint: available(), exitCode: ExitCode.invalidInput });
  }
  const bySlug = features.filter((f) => f.slug === wanted || f.slug === wanted.toLowerCase());
  if (bySlug.length === 1 && bySlug[0]) return bySlug[0];
  if (bySlug.length > 1) {
    throw new KitError(`"${wanted}" matches ${listNames(bySlug)}`, { hint: 'name the feature by its directory name' });
  }
  throw new KitError(`no feature "${wanted}"`, { hint: available(), exitCode: ExitCode.invalidInput });
}

function listNames(features: readonly FeatureDirName[]): string {
  return features.map((f) => f.name).join(', ');
}

/** Problems in the relations between a feature's WPs: duplicate ids, unknown dependencies, cycles. */
export function workPackageSetProblems(feature: string, workPackages: readonly WorkPackage[]): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map<string, WorkPackage>();
  for (const wp of workPackages) {
    const first = byId.get(wp.id);
    if (first) {
      problems.push({
        kind: 'duplicate-wp',
        feature,
        wp: wp.id,
        file: wp.file,
        line: wp.keyLines.work_package_id ?? null,
        message: `${wp.id} is defined twice: ${first.file} and ${wp.file}`,
      });
    } else {
      byId.set(wp.id, wp);
    }
  }
  const nodes = [...byId.values()];
  for (const { id, missing } of findMissingDependencies(nodes)) {
    const wp = byId.get(id);
    problems.push({
      kind: 'dependency',
      feature,
      wp: id,
      file: wp?.file ?? null,
      line: wp?.keyLines.dependencies ?? null,
      message: `${id} depends on ${missing}, which this feature does not have`,
    });
  }
  for (const cycle of findCycles(nodes)) {
    const first = byId.get(cycle[0] ?? '');
    problems.push({
      kind: 'cycle',
      feature,
      wp: cycle[0] ?? null,
      file: first?.file ?? null,
      line: first?.keyLines.dependencies ?? null,
      message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  return problems;
}

/** WPs in id order (WP02 before WP10), which is the order every listing uses. */
export function sortWorkPackages<T extends { id: string }>(workPackages: readonly T[]): T[] {
  return [...workPackages].sort((a, b) => compareWorkPackageIds(a.id, b.id));
}

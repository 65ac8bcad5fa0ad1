/**
 * Names kit accepts from the command line and from files. Everything that becomes part of a path goes
 * through here, so no id, slug or feature name can leave the specs directory (`..`, `/`, NUL bytes).
 */
const WP_ID = /^WP\d{2,3}$/;
const WP_FILE = /^(WP\d+)(?:[-_.](.*))?\.md$/;
const FEATURE_DIR = /^(\d{3,})-([a-z0-9][a-z0-9._-]*)$/i;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 60;

/** True for `WP` + 2 or 3 digits. */
export function isWorkPackageId(value: string): boolean {
  return WP_ID.test(value);
}

/** Accepts `WP02`, `wp02` and `2`/`02` (padded to two digits); undefined for anything else. */
export function normalizeWorkPackageId(value: string): string | undefined {
  const trimmed = value.trim();
  const upper = trimmed.toUpperCase();
  if (WP_ID.test(upper)) return upper;
  if (/^\d{1,3}$/.test(trimmed)) return `WP${trimmed.padStart(2, '0')}`;
  return undefined;
}

/** The WP id a file name claims (`WP03-generator.md` → WP03), even a malformed one, for error messages. */
export function workPackageIdFromFileName(fileName: string): string | undefined {
  return WP_FILE.exec(fileName)?.[1];
}

export interface FeatureDirName {
  name: string;
  /** The `NNN-` prefix as a number; null for a mission directory without one (Spec Kitty 3.x). */
  number: number | null;
  numberText: string | null;
  slug: string;
}

/** Splits a feature directory name `001-user-auth`; undefined when the name is not one. */
export function parseFeatureDirName(name: string): FeatureDirName | undefined {
  const match = FEATURE_DIR.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { name, number: Number(match[1]), numberText: match[1], slug: match[2] };
}

// Spec Kitty 3.x names a mission `<slug>-<first 8 characters of its ULID>` (Crockford base32, upper case).
const MISSION_ULID_SUFFIX = /-([0-9A-HJKMNP-TV-Z]{8})$/;
const SAFE_DIR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Any directory name kit accepts as a feature (mission): `001-user-auth`, a 3.x `alert-pipeline-01KQZC7A`,
 * or an odd name such as `WEB-001-login`. Its slug drops the number prefix and the ULID suffix. Undefined
 * for names that could not be passed safely as a path component (`..`, spaces, leading dots).
 */
export function describeFeatureDir(name: string): FeatureDirName | undefined {
  const numbered = parseFeatureDirName(name);
  if (numbered) return numbered;
  if (!SAFE_DIR_NAME.test(name) || name.includes('..')) return undefined;
  const slug = name.replace(MISSION_ULID_SUFFIX, '').toLowerCase();
  return { name, number: null, numberText: null, slug: slug || name.toLowerCase() };
}

/** True for a 26-character ULID (Crockford base32), which 3.x writes as mission and WP ids. */
export function isUlid(value: string): boolean {
  return /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(value);
}

export function isSlug(value: string): boolean {
  return value.length > 0 && value.length <= MAX_SLUG_LENGTH && SLUG.test(value);
}

/** Kebab-case ASCII from free text: accents folded, at most 60 characters, cut at a word boundary. */
export function slugify(text: string, maxLength = MAX_SLUG_LENGTH): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > maxLength) {
      if (!slug) slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  return slug;
}

/** Feature directory name from a number and a slug: 1 + "user-auth" → "001-user-auth". */
export function featureDirName(number: number, slug: string): string {
  return `${String(number).padStart(3, '0')}-${slug}`;
}

/** The feature and WP a WP branch or worktree name encodes (`001-user-auth-WP02`, `alert-01KQZC7A-WP02`). */
export function parseWorkPackageBranch(name: string): { feature: string; wp: string } | undefined {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)-(WP\d{2,3})$/.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { feature: match[1], wp: match[2] };
}

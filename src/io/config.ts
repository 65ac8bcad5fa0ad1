/**
 * `.kit/config.yaml`: optional. Every command works on the defaults without it, so a repository that
 * already uses Spec Kitty needs no set-up. Unknown keys are kept (a newer kit may have written them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { readTextFile } from './files.js';
import { kitFile } from './install-dir.js';
import { loadYaml } from './frontmatter.js';

export interface KitConfig {
  /** Where features live, relative to the repository root. */
  specsDir: string;
  /** Where `kit implement` puts WP worktrees, relative to the repository root. */
  worktreesDir: string;
  /** Whether lane changes are committed on the target branch (the worktrees-and-lanes design). */
  commitLaneChanges: boolean;
  /**
   * The git remote other clones share claims through (`remote: origin`), or null for one machine. With a
   * remote, `kit implement` claims a WP by creating its branch there, create-only.
   */
  remote: string | null;
  /**
   * Where lane changes live: `target` (commits on the target branch) or `ref` (commits on
   * `refs/kit/lanes/<target>`, a ref of kit's own, so a protected target sees nothing until kit merge).
   */
  laneStore: 'target' | 'ref';
}

export const DEFAULT_CONFIG: Readonly<KitConfig> = {
  specsDir: 'kitty-specs',
  worktreesDir: '.worktrees',
  commitLaneChanges: true,
  remote: null,
  laneStore: 'target',
};

/** A remote name kit accepts: what `git remote add` takes, never an option or a path with `..`. */
export function isRemoteName(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) && !value.includes('..');
}

/** Checks a lane store setting: `target` or `ref`. */
export function checkLaneStore(value: unknown, file: string | null): 'target' | 'ref' {
  if (value === 'target' || value === 'ref') return value;
  throw new KitError(`${file ? `${file}: ` : ''}lane_store must be target or ref, not ${JSON.stringify(value)}`, {
    hint: 'target: lane changes are commits on the target branch; ref: on refs/kit/lanes/<target>, for a protected target',
    ...(file ? { file } : {}),
  });
}

export const CONFIG_FILE = '.kit/config.yaml';

export const CONFIG_VERSION = 1;

let ownVersion: string | undefined;

/** kit's own version, from its package.json (the one installed next to dist/). */
export function kitVersion(): string {
  ownVersion ??= (JSON.parse(readFileSync(kitFile('package.json'), 'utf8')) as { version: string }).version;
  return ownVersion;
}

/**
 * A config written by a newer major version of kit may mean things this kit does not know: refuse rather
 * than act on half of it. Older and same-major configs are read as they are.
 */
function checkWrittenBy(value: unknown): void {
  if (value === undefined || value === null) return;
  const require = createRequire(import.meta.url);
  // Two functions of semver, not the whole package (~50 modules) on every command's start-up.
  const valid = require('semver/functions/valid') as typeof import('semver').valid;
  const major = require('semver/functions/major') as typeof import('semver').major;
  const written = typeof value === 'string' ? valid(value) : null;
  if (!written) {
    throw new KitError(
      `${CONFIG_FILE}: kitVersion must be a version like ${kitVersion()}, not ${JSON.stringify(value)}`,
      {
        file: CONFIG_FILE,
      },
    );
  }
  if (major(written) > major(kitVersion())) {
    throw new KitError(`${CONFIG_FILE} was written by kit ${written}, newer than this kit (${kitVersion()})`, {
      hint: 'upgrade kit, or run kit init --force to rewrite the config for this version',
      file: CONFIG_FILE,
    });
  }
}

/** Reads the config at a repository root, or the defaults when there is none. */
export async function readConfig(root: string): Promise<{ config: KitConfig; file: string | null }> {
  const path = join(root, CONFIG_FILE);
  if (!existsSync(path)) return { config: { ...DEFAULT_CONFIG }, file: null };
  const read = readTextFile(path);
  if (!read.ok) throw new KitError(`${CONFIG_FILE}: ${read.reason}`, { file: CONFIG_FILE });
  const flat = parseFlatConfig(read.text);
  const data: unknown = flat ?? (await parseYamlConfig(read.text));
  if (typeof data !== 'object' || Array.isArray(data) || data === null) {
    throw new KitError(`${CONFIG_FILE}: must be a mapping of settings`, { file: CONFIG_FILE });
  }
  return { config: interpretConfig(data as Record<string, unknown>), file: CONFIG_FILE };
}

/**
 * The config kit writes is flat `key: value` lines. Reading those needs no YAML library (loading one
 * costs every command ~20 ms); anything else (nesting, anchors, multi-line values) goes to `yaml`.
 */
function parseFlatConfig(text: string): Record<string, unknown> | null {
  const data: Record<string, unknown> = {};
  for (const raw of text.replace(/^\ufeff/, '').split(/\r?\n/)) {
    if (/^\s*(?:#.*)?$/.test(raw)) continue;
    const match = /^([A-Za-z][A-Za-z0-9_]*):(?:[ \t]+(.*?))?[ \t]*$/.exec(raw);
    if (!match?.[1]) return null;
    const value = (match[2] ?? '').replace(/[ \t]+#.*$/, '');
    if (match[1] in data) return null;
    if (/^"[^"\\]*"$/.test(value) || /^'[^']*'$/.test(value)) data[match[1]] = value.slice(1, -1);
    else if (value === '' || value === '~' || value === 'null') data[match[1]] = null;
    else if (/^(?:true|True|TRUE|false|False|FALSE)$/.test(value)) data[match[1]] = value.toLowerCase() === 'true';
    else if (/^-?\d+$/.test(value)) data[match[1]] = Number(value);
    else if (/^[^'"[\]{}&*!|>%@`,]+$/.test(value) && !value.startsWith('- ')) data[match[1]] = value;
    else return null;
  }
  return data;
}

async function parseYamlConfig(text: string): Promise<unknown> {
  const YAML = await loadYaml();
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0]?.line;
    throw new KitError(`${CONFIG_FILE}${line ? `:${line}` : ''}: not valid YAML: ${error.message.split('\n')[0]}`, {
      hint: `fix the file, or delete it to use the defaults (kit init writes a fresh one)`,
      file: CONFIG_FILE,
      ...(line ? { line } : {}),
    });
  }
  return doc.toJS() ?? {};
}

function interpretConfig(record: Record<string, unknown>): KitConfig {
  checkWrittenBy(record.kitVersion);
  const config = { ...DEFAULT_CONFIG };
  for (const key of ['specsDir', 'worktreesDir'] as const) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !isSafeRelativeDir(value)) {
      throw new KitError(
        `${CONFIG_FILE}: ${key} must be a directory inside the repository, not ${JSON.stringify(value)}`,
        {
          hint: `for example ${key}: ${DEFAULT_CONFIG[key]}`,
          file: CONFIG_FILE,
        },
      );
    }
    config[key] = value.replace(/\/+$/, '');
  }
  if (record.commitLaneChanges !== undefined) {
    if (typeof record.commitLaneChanges !== 'boolean') {
      throw new KitError(`${CONFIG_FILE}: commitLaneChanges must be true or false`, { file: CONFIG_FILE });
    }
    config.commitLaneChanges = record.commitLaneChanges;
  }
  if (record.remote !== undefined && record.remote !== null) {
    if (typeof record.remote !== 'string' || !isRemoteName(record.remote)) {
      throw new KitError(
        `${CONFIG_FILE}: remote must be the name of a git remote, not ${JSON.stringify(record.remote)}`,
        {
          hint: 'for example remote: origin (git remote -v lists them)',
          file: CONFIG_FILE,
        },
      );
    }
    config.remote = record.remote;
  }
  if (record.lane_store !== undefined && record.lane_store !== null) {
    config.laneStore = checkLaneStore(record.lane_store, CONFIG_FILE);
  }
  return config;
}

function isSafeRelativeDir(value: string): boolean {
  if (!value.trim() || value.includes('\0') || value.startsWith('/') || /^[a-zA-Z]:/.test(value)) return false;
  const parts = value.split(/[/\\]/).filter((part) => part !== '' && part !== '.');
  return parts.length > 0 && !parts.includes('..') && parts[0] !== '.git';
}

/** The text `kit init` writes: every setting with its default and a line on what it does. */
export function renderDefaultConfig(
  settings: { remote?: string | null; laneStore?: 'target' | 'ref' | null } = {},
): string {
  return [
    `# kit settings. Every key is optional; see "Configuration" in the kit user guide.`,
    `version: ${CONFIG_VERSION}`,
    `# The kit that wrote this file; a newer major version refuses to be read by an older kit.`,
    `kitVersion: ${kitVersion()}`,
    `# Where features (NNN-slug/ with spec.md, plan.md, tasks.md, tasks/WPnn-*.md) live.`,
    `specsDir: ${DEFAULT_CONFIG.specsDir}`,
    `# Where kit implement creates one git worktree per work package.`,
    `worktreesDir: ${DEFAULT_CONFIG.worktreesDir}`,
    `# Commit each lane change on the feature's target branch (false: edit the file, commit nothing).`,
    `commitLaneChanges: ${DEFAULT_CONFIG.commitLaneChanges}`,
    `# The git remote clones on other machines share through: kit implement claims a WP by creating its`,
    `# branch there (create-only), so of two clones exactly one gets it. Empty: this machine only.`,
    `remote: ${settings.remote ?? ''}`,
    `# Where lane changes live: target (commits on the feature's target branch), or ref (commits on`,
    `# refs/kit/lanes/<target>, so a protected target branch sees nothing until kit merge writes the lanes).`,
    `lane_store: ${settings.laneStore ?? DEFAULT_CONFIG.laneStore}`,
    '',
  ].join('\n');
}

/**
 * The config text with one flat `key: value` line set: replaced where the key is, appended otherwise. The
 * rest of the file (comments, other keys, their order) is kept as written.
 */
export function withConfigValue(text: string, key: string, value: string): string {
  const line = `${key}: ${value}`;
  const pattern = new RegExp(`^${key}:.*$`, 'm');
  if (pattern.test(text)) return text.replace(pattern, line);
  return `${text}${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
}

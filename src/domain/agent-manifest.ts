/**
 * `.kit/agents.json`: every file kit wrote for an agent with the hash of what it wrote, the template
 * version it came from, and the instruction files holding kit's section. With it kit can tell its own
 * untouched files (safe to update or delete) from files a person edited (kept, with a warning) and from
 * files kit never wrote (never touched without --force). Pure: the decisions, not the file access.
 */
import { AGENT_NAMES, type AgentName, isAgentName } from './agent-catalog.js';
import { contentHash } from './agent-files.js';

export const AGENT_MANIFEST_FILE = '.kit/agents.json';
export const AGENT_MANIFEST_SCHEMA = 1;

export interface ManifestFile {
  path: string;
  sha256: string;
}

export interface ManifestAgent {
  templateVersion: string;
  files: ManifestFile[];
}

export interface ManifestSection {
  sha256: string;
  /** kit created the file for the section, so removing the last agent may delete it again. */
  createdFile: boolean;
}

export interface AgentManifest {
  schemaVersion: number;
  /** The kit that last wrote the manifest. */
  kitVersion: string;
  agents: Partial<Record<AgentName, ManifestAgent>>;
  sections: Record<string, ManifestSection>;
}

export function emptyManifest(kitVersion: string): AgentManifest {
  return { schemaVersion: AGENT_MANIFEST_SCHEMA, kitVersion, agents: {}, sections: {} };
}

const SHA256 = /^[0-9a-f]{64}$/;
export const TEMPLATE_VERSION = /^\d+\.\d+\.\d+$/;
const SAFE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\0\\]+$/;

/** Reads a parsed manifest, or says what is wrong with it. Paths that could leave the repository are wrong. */
export function interpretAgentManifest(data: unknown): AgentManifest | string {
  if (!isRecord(data)) return 'it must be a JSON object';
  if (data.schemaVersion !== AGENT_MANIFEST_SCHEMA) {
    return typeof data.schemaVersion === 'number' && data.schemaVersion > AGENT_MANIFEST_SCHEMA
      ? `it was written by a newer kit (schemaVersion ${data.schemaVersion})`
      : `schemaVersion must be ${AGENT_MANIFEST_SCHEMA}`;
  }
  const manifest = emptyManifest(typeof data.kitVersion === 'string' ? data.kitVersion : '');
  if (!isRecord(data.agents)) return '"agents" must be an object';
  for (const [name, entry] of Object.entries(data.agents)) {
    if (!isAgentName(name)) return `"${name}" is not an agent kit knows (${AGENT_NAMES.join(', ')})`;
    if (!isRecord(entry) || typeof entry.templateVersion !== 'string' || !Array.isArray(entry.files)) {
      return `agents.${name} must have a templateVersion and a list of files`;
    }
    if (!TEMPLATE_VERSION.test(entry.templateVersion)) {
      return `agents.${name}.templateVersion must be a version like 1.0.0, not "${entry.templateVersion}"`;
    }
    const files: ManifestFile[] = [];
    for (const file of entry.files) {
      if (!isRecord(file) || typeof file.path !== 'string' || typeof file.sha256 !== 'string') {
        return `agents.${name}.files must list { "path", "sha256" } objects`;
      }
      if (!SAFE_PATH.test(file.path)) return `agents.${name}.files: "${file.path}" is not a path inside the repository`;
      if (!SHA256.test(file.sha256)) return `agents.${name}.files: the sha256 of ${file.path} is not a SHA-256`;
      files.push({ path: file.path, sha256: file.sha256 });
    }
    manifest.agents[name] = { templateVersion: entry.templateVersion, files };
  }
  if (data.sections !== undefined) {
    if (!isRecord(data.sections)) return '"sections" must be an object';
    for (const [path, section] of Object.entries(data.sections)) {
      if (!SAFE_PATH.test(path)) return `sections: "${path}" is not a path inside the repository`;
      if (!isRecord(section) || typeof section.sha256 !== 'string' || !SHA256.test(section.sha256)) {
        return `sections.${path} must have a sha256`;
      }
      manifest.sections[path] = { sha256: section.sha256, createdFile: section.createdFile === true };
    }
  }
  return manifest;
}

/** The manifest as written: keys in a fixed order and files sorted, so an unchanged install is byte-identical. */
export function serializeAgentManifest(manifest: AgentManifest): string {
  const agents: Record<string, ManifestAgent> = {};
  for (const name of AGENT_NAMES) {
    const entry = manifest.agents[name];
    if (!entry) continue;
    agents[name] = {
      templateVersion: entry.templateVersion,
      files: [...entry.files]
        .sort((a, b) => a.path.localeCompare(b.path))
        .map((file) => ({ path: file.path, sha256: file.sha256 })),
    };
  }
  const sections: Record<string, ManifestSection> = {};
  for (const path of Object.keys(manifest.sections).sort()) {
    const section = manifest.sections[path];
    if (section) sections[path] = { sha256: section.sha256, createdFile: section.createdFile };
  }
  const document = { schemaVersion: AGENT_MANIFEST_SCHEMA, kitVersion: manifest.kitVersion, agents, sections };
  return `${JSON.stringify(document, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Deciding what to do with each file

/**
 * - created: the file did not exist; written.
 * - updated: kit's own unedited file, now from newer templates; rewritten.
 * - unchanged: already what kit would write.
 * - kept: edited since kit wrote it, or never written by kit; left alone (a warning says so).
 * - overwritten: like kept, but --force replaced it.
 * - removed: deleted (remove, or a file the templates no longer have).
 */
export type AgentFileAction = 'created' | 'updated' | 'unchanged' | 'kept' | 'overwritten' | 'removed';

export interface FileDecision {
  path: string;
  action: AgentFileAction;
  /** The content to write, or null to leave the file as it is (or delete it, with `remove`). */
  write: string | null;
  remove: boolean;
  /** The hash the manifest records afterwards; null when the file is not (or no longer) kit's. */
  recordHash: string | null;
  warning: string | null;
}

export interface FileState {
  path: string;
  /** What kit would write now. */
  desired: string;
  /** What is on disk, or null when there is no file. */
  current: string | null;
  /** The hash the manifest recorded when kit last wrote it, or null when kit never did. */
  recorded: string | null;
}

/** What to do with one file kit wants to have, given what is there and what kit wrote last time. */
export function decideInstall(state: FileState, options: { force: boolean; forceHint: string }): FileDecision {
  const { path, desired, current, recorded } = state;
  const desiredHash = contentHash(desired);
  const base = { path, remove: false, warning: null };
  if (current === null) return { ...base, action: 'created', write: desired, recordHash: desiredHash };
  if (current === desired) return { ...base, action: 'unchanged', write: null, recordHash: desiredHash };
  const untouched = recorded !== null && contentHash(current) === recorded;
  if (untouched) return { ...base, action: 'updated', write: desired, recordHash: desiredHash };
  if (options.force) return { ...base, action: 'overwritten', write: desired, recordHash: desiredHash };
  const why = recorded !== null ? 'was edited since kit wrote it' : 'exists and was not written by kit';
  return {
    ...base,
    action: 'kept',
    write: null,
    recordHash: recorded,
    warning: `${path} ${why}; kept as it is (${options.forceHint} replaces it)`,
  };
}

/** What to do with a file kit wrote and no longer wants (kit agents remove, or a step the templates dropped). */
export function decideRemoval(
  state: Omit<FileState, 'desired'> & { recorded: string },
  options: { force: boolean; forceHint: string },
): FileDecision {
  const { path, current, recorded } = state;
  const base = { path, write: null, recordHash: null };
  if (current === null) return { ...base, action: 'removed', remove: false, warning: null };
  if (options.force || contentHash(current) === recorded) {
    return { ...base, action: 'removed', remove: true, warning: null };
  }
  return {
    ...base,
    action: 'kept',
    remove: false,
    warning: `${path} was edited since kit wrote it; kept as it is, and it is yours now (${options.forceHint} deletes it)`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Template versions

/** Compares two `major.minor.patch` versions (the bundled templates' versions are always of that form). */
export function compareTemplateVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The change notes between an installed template version (exclusive) and the current one (inclusive). */
export function changesSince(
  changes: readonly { version: string; summary: string }[],
  from: string | null,
  to: string,
): { version: string; summary: string }[] {
  return changes
    .filter(
      (change) =>
        compareTemplateVersions(change.version, to) <= 0 &&
        (from === null || compareTemplateVersions(change.version, from) > 0),
    )
    .sort((a, b) => compareTemplateVersions(a.version, b.version));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

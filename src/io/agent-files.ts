/**
 * File access for agent command files, kit's section in AGENTS.md / CLAUDE.md, and `.kit/agents.json`.
 * Every path is repository-relative and goes through `resolveInside`; on top of that a path whose
 * existing parent directories lead out of the repository through a symbolic link is refused, so a
 * `.claude` link to elsewhere cannot make kit write or delete files there.
 */
import { existsSync, lstatSync, readdirSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import {
  AGENT_MANIFEST_FILE,
  type AgentManifest,
  emptyManifest,
  interpretAgentManifest,
  serializeAgentManifest,
} from '../domain/agent-manifest.js';
import { ExitCode, KitError } from '../errors.js';
import { readTextFile, resolveInside, writeFileAtomic } from './files.js';

/** The absolute path of a repository-relative file kit manages, proven to stay inside the repository. */
export function managedPath(root: string, path: string): string {
  const full = resolveInside(root, path, 'agent file');
  let existing = dirname(full);
  while (!existsSync(existing) && existing !== root) existing = dirname(existing);
  assertInside(root, path, existing);
  return full;
}

function assertInside(root: string, path: string, location: string): string {
  const real = realpathSync(location);
  const rel = relative(realpathSync(root), real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new KitError(`${path} leads out of the repository through a symbolic link (${location} → ${real})`, {
      hint: 'replace the link with a directory or a file, then run kit again',
      exitCode: ExitCode.invalidInput,
    });
  }
  return real;
}

/** A managed file's text, or null when it does not exist. Something that is not a text file is an error. */
export function readManagedFile(root: string, path: string): string | null {
  const full = managedPath(root, path);
  if (!existsSync(full)) return null;
  let read: ReturnType<typeof readTextFile>;
  try {
    read = readTextFile(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!read.ok) {
    throw new KitError(`${path}: ${read.reason}`, {
      hint: 'move it away, then run kit again',
      file: path,
    });
  }
  return read.text;
}

/**
 * Writes a managed file atomically. A file that is a symbolic link to another file in the repository
 * (CLAUDE.md → AGENTS.md is common) is written through, so the link survives; replacing it would not.
 */
export function writeManagedFile(root: string, path: string, content: string): void {
  const full = managedPath(root, path);
  let target = full;
  if (lstatSync(full, { throwIfNoEntry: false })?.isSymbolicLink() && existsSync(full)) {
    target = assertInside(root, path, full);
  }
  writeFileAtomic(target, content);
}

/**
 * Deletes a managed file, then the directories it leaves empty, up to and including its top directory
 * (`.claude/`, `.agents/`) but never the repository root, so `kit agents remove` leaves no empty
 * `.agents/skills/kit-plan/` behind and never removes a directory that still holds anything.
 */
export function deleteManagedFile(root: string, path: string): void {
  const full = managedPath(root, path);
  rmSync(full, { force: true });
  const top = path.split('/')[0] ?? '';
  const stop = join(root, top);
  for (let dir = dirname(full); dir.startsWith(stop) && dir !== root; dir = dirname(dir)) {
    try {
      if (!lstatSync(dir).isDirectory() || readdirSync(dir).length > 0) break;
      rmdirSync(dir);
    } catch {
      break;
    }
  }
}

/** `.kit/agents.json`, or an empty manifest when there is none. A damaged one is an error naming it. */
export function readAgentManifest(root: string, kitVersion: string): { manifest: AgentManifest; text: string | null } {
  const text = readManagedFile(root, AGENT_MANIFEST_FILE);
  if (text === null) return { manifest: emptyManifest(kitVersion), text: null };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new KitError(`${AGENT_MANIFEST_FILE} is not valid JSON: ${(error as Error).message}`, {
      hint: `fix it, or restore it from git (git checkout -- ${AGENT_MANIFEST_FILE})`,
      file: AGENT_MANIFEST_FILE,
    });
  }
  const manifest = interpretAgentManifest(data);
  if (typeof manifest === 'string') {
    throw new KitError(`${AGENT_MANIFEST_FILE}: ${manifest}`, {
      hint: `fix it, or restore it from git (git checkout -- ${AGENT_MANIFEST_FILE}); upgrade kit if a newer one wrote it`,
      file: AGENT_MANIFEST_FILE,
    });
  }
  return { manifest, text };
}

/** Writes the manifest only when its text changes, so a run that changes nothing touches nothing. */
export function writeAgentManifest(root: string, manifest: AgentManifest, previous: string | null): boolean {
  const text = serializeAgentManifest(manifest);
  if (text === previous) return false;
  writeManagedFile(root, AGENT_MANIFEST_FILE, text);
  return true;
}

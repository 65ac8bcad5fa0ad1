/**
 * File access with kit's guarantees: writes are atomic (a temporary file in the same directory, then a
 * rename, so a reader or a crash never sees half a file), and reads refuse what cannot be a planning
 * file (binary content, files larger than MAX_TEXT_FILE_BYTES) with a reason instead of a crash.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { KitError } from '../errors.js';

export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

export type TextRead = { ok: true; text: string } | { ok: false; reason: string };

/** Reads a UTF-8 planning file, or says why it is not one. Missing files throw ENOENT as usual. */
export function readTextFile(path: string): TextRead {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: 'is not a regular file (a directory?)' };
    const size = stat.size;
    if (size > MAX_TEXT_FILE_BYTES) {
      return { ok: false, reason: `the file is too large (${(size / 1024 / 1024).toFixed(1)} MB; at most 1 MB)` };
    }
    const bytes = readFileSync(fd);
    if (bytes.includes(0)) return { ok: false, reason: 'the file is binary, not Markdown text' };
    return { ok: true, text: bytes.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** Writes a file atomically, creating its directory. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, content, { flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Creates a file only if it does not exist yet, atomically: the content is written to a temporary file
 * and hard-linked into place (link fails if the name exists), so no reader ever sees a partial file and
 * two writers cannot both win. False when the file already existed.
 */
export function createFileExclusive(path: string, content: string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { flag: 'wx' });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Joins a repository-relative path onto a root and proves the result stays inside it. Every path that
 * comes from configuration or the command line goes through here.
 */
export function resolveInside(root: string, path: string, what: string): string {
  if (path.includes('\0')) throw new KitError(`${what} contains a NUL byte`);
  if (isAbsolute(path)) throw new KitError(`${what} must be relative to the repository, not "${path}"`);
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new KitError(`${what} "${path}" leaves the repository`, { hint: 'use a path inside the repository' });
  }
  return full;
}

/** Repository-relative path with forward slashes, for messages and JSON. */
export function toRepoPath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/**
 * The read index of kit's hot read commands: the last result of `kit status` and of `kit check` (per
 * command line), kept in the git common dir (`.git/kit/read-index-v1/`, shared by all worktrees, never
 * committed) with a fingerprint of everything it was computed from, so that a warm run reads one file
 * instead of 2,000 WP files (and, for status, the commit graph and the worktree list).
 *
 * The fingerprint is taken from disk by Node alone (no git process), and covers:
 * - kit itself (the code file running: a new build or version never reuses an older result), the command
 *   line's selection (`--feature`, `--strict`), the parsed config and git's environment variables;
 * - every file and directory under the specs dir, by name and stat data (size, mtime, ctime, inode), so an
 *   edit of any planning file shows, whatever its size, and so does a file added, removed or renamed;
 * - for status (and for check with `lane_store: ref`, whose lanes live on a ref): the refs, as the stat data of HEAD, every loose ref and packed-refs (branch tips decide the
 *   lanes read from a target branch, each WP's tip, ahead/behind and anything else derived from tips; git
 *   rewrites a ref file only when the ref changes), the repository config, shallow and grafts files, and
 *   kit's sync record; and each linked worktree's admin files (HEAD, locked, gitdir) and whether its
 *   checkout still exists.
 *
 * What it does not cover is each worktree's uncommitted files: status asks those of git afresh on every run
 * (with src/io/worktree-changes.ts), as it computes the ages from the clock.
 *
 * Like git's index, stat data cannot tell apart two writes within one timestamp tick: a result whose
 * inputs changed less than racyWindowMs() before it was computed is not stored (the next run computes
 * afresh). The index is an optimisation only: a missing, corrupt or unwritable one is ignored, and an
 * unusual repository (the reftable ref backend) is never indexed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './files.js';
import { racyWindowMs, readIndexEnabled, StatDigest } from './stat-digest.js';

/** Bump when what is stored changes. */
const FORMAT = 1;
/** Planning trees are a few levels deep (feature / tasks / lane folder); a symlink loop stops here. */
const MAX_DEPTH = 8;
/** The file of kit's code that runs: a new build or version never reuses a result an older one stored. */
const CODE_FILE = fileURLToPath(import.meta.url);

export interface ReadIndexInputs {
  root: string;
  commonDir: string;
  specsPath: string;
  config: unknown;
  configFile: string | null;
  /** Which command's result: its own file, and whether git's state is part of the fingerprint. */
  kind: 'status' | 'check';
  /** What the command line selected (`--feature`, `--strict`), or null for the defaults. */
  selection: string | null;
}

export interface ReadIndexKey {
  file: string;
  digest: string;
  /** The newest mtime or ctime among the stat data hashed: a result is stored only when it is old enough. */
  newestMs: number;
  takenAtMs: number;
}

export interface StoredRead<Result> {
  result: Result;
  /** For status: the worktrees whose uncommitted files the result shows, to be asked again on every read. */
  worktrees: string[];
}

interface IndexFile<Result> extends StoredRead<Result> {
  format: number;
  digest: string;
}

function fileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '\0absent';
  }
}

/** Where the index of this selection lives (one file per selection and kit build). */
export function readIndexFile(inputs: Pick<ReadIndexInputs, 'commonDir' | 'kind' | 'selection'>): string {
  const selection = createHash('sha1')
    .update(`${inputs.selection ?? '*'}\0${CODE_FILE}`)
    .digest('hex')
    .slice(0, 16);
  return join(inputs.commonDir, 'kit', `read-index-v${FORMAT}`, `${inputs.kind}-${selection}.json`);
}

/**
 * Fingerprints what a status result depends on (see the file comment); null where this repository is
 * not one the index can vouch for.
 */
export function readIndexKey(inputs: ReadIndexInputs): ReadIndexKey | null {
  const { commonDir } = inputs;
  if (!readIndexEnabled() || existsSync(join(commonDir, 'reftable'))) return null;
  const takenAtMs = Date.now();
  const digest = new StatDigest();

  digest.text(`kit-read-index\0${FORMAT}\0${inputs.kind}\0${inputs.selection ?? '*'}\0${inputs.specsPath}`);
  digest.stat('code', CODE_FILE);
  digest.text(JSON.stringify(inputs.config));
  // git's environment (GIT_DIR, GIT_CONFIG_*, ...) could make the same files read differently.
  digest.text(
    Object.keys(process.env)
      .filter((name) => name.startsWith('GIT_'))
      .sort()
      .map((name) => `${name}=${process.env[name]}`)
      .join('\0'),
  );
  if (inputs.configFile) digest.stat('config', inputs.configFile);

  // With lane_store: ref the lanes also live on refs/kit/lanes/<target>, so check depends on refs too.
  const laneRef = (inputs.config as { laneStore?: unknown } | null)?.laneStore === 'ref';
  if (inputs.kind === 'status' || laneRef) gitState(digest, commonDir);
  planningTree(digest, inputs.specsPath);
  return { file: readIndexFile(inputs), digest: digest.digest(), newestMs: digest.newestMs, takenAtMs };
}

/** HEAD, the refs, the repository's config, shallow and grafts files, kit's sync record and the linked worktrees. */
function gitState(digest: StatDigest, commonDir: string): void {
  // Stat data, as for the planning files: git writes a ref or HEAD only when it changes (a no-op update
  // leaves the file alone) and always as a new file renamed into place.
  for (const name of ['HEAD', 'packed-refs', 'config', 'shallow', join('info', 'grafts'), join('kit', 'sync.json')]) {
    digest.stat(name, join(commonDir, name));
  }
  const walkRefs = (dir: string, prefix: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walkRefs(path, `${prefix}${entry.name}/`);
      else digest.stat(`${prefix}${entry.name}`, path);
    }
  };
  walkRefs(join(commonDir, 'refs'), 'refs/');

  // Linked worktrees: which branch each has out, where it is, whether it still exists, and its lock.
  let worktrees: string[] = [];
  try {
    worktrees = readdirSync(join(commonDir, 'worktrees')).sort();
  } catch {
    // None.
  }
  for (const name of worktrees) {
    const admin = join(commonDir, 'worktrees', name);
    const gitdir = fileText(join(admin, 'gitdir')).trim();
    digest.text(`worktree ${name}\0${gitdir}\0${existsSync(gitdir)}`);
    digest.stat('HEAD', join(admin, 'HEAD'));
    digest.stat('locked', join(admin, 'locked'));
  }
}

/** Every entry under the specs dir, in a fixed order. */
function planningTree(digest: StatDigest, specsPath: string): void {
  digest.text('specs');
  const walkSpecs = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      digest.text('\0unreadable');
      return;
    }
    for (const name of names) {
      const path = `${dir}${sep}${name}`;
      if (digest.stat(name, path) === 'dir' && depth < MAX_DEPTH) {
        digest.text('{');
        walkSpecs(path, depth + 1);
        digest.text('}');
      }
    }
  };
  walkSpecs(specsPath, 0);
}

/** The stored result of a selection, whatever it was computed from; compare `digest` with a key's. */
export function readStoredIndex<Result>(file: string): (StoredRead<Result> & { digest: string }) | null {
  if (!readIndexEnabled()) return null;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as IndexFile<Result>;
    if (stored.format !== FORMAT || typeof stored.digest !== 'string' || !Array.isArray(stored.worktrees)) return null;
    return { result: stored.result, worktrees: stored.worktrees, digest: stored.digest };
  } catch {
    return null;
  }
}

/**
 * Stores a result computed after `key` was taken, unless its inputs were too fresh to vouch for; in
 * `path` for a second form of the same result (kit status --json's rendered text beside the data).
 */
export function writeStoredIndex<Result>(key: ReadIndexKey, stored: StoredRead<Result>, path = key.file): void {
  if (key.newestMs > key.takenAtMs - racyWindowMs()) return;
  const file: IndexFile<Result> = { format: FORMAT, digest: key.digest, ...stored };
  try {
    writeFileAtomic(path, JSON.stringify(file));
  } catch {
    // Read-only repository, full disk: the next run computes afresh.
  }
}

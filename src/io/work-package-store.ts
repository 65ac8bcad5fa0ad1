/**
 * Writes a WP file where lane state lives: on the feature's target branch. Each change is one commit
 * holding only that file, built with plumbing (a blob, a tree from a temporary index, commit-tree) and
 * landed with a compare-and-swap on the branch, so the user's index, staged and unstaged changes are
 * never touched. When the target branch is checked out somewhere (usually the main checkout), that
 * checkout's copy of the one file and its index entry are brought up to date, so `git status` stays
 * clean there; if the user has uncommitted edits to that very file, kit refuses instead.
 *
 * Writers from every worktree serialize on one lock in the git common dir, and the transform always
 * sees the file as it is on the branch at that moment (never a stale copy from a WP worktree).
 * With `commitLaneChanges: false` the file in the main checkout is edited in place and nothing is
 * committed.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, KitError, LaneMovedError } from '../errors.js';
import { checkoutGitDir } from './checkout.js';
import { commitOnLaneRef } from './lane-ref-writes.js';
import { readRef, usesLaneRef } from './lane-ref-store.js';
import { writeFileAtomic } from './files.js';
import { GitPlumbing, keptIndexAt } from './git.js';
import { withLock } from './lock.js';
import { fetchBranch, onlyLaneCommits, pauseBeforeRetry, PUBLISH_ATTEMPTS, pushWithLease } from './remote.js';
import { kitStateDir, type Workspace } from './workspace.js';

export interface WorkPackageWrite {
  targetBranch: string;
  /** Repository-relative path of the WP file. */
  file: string;
  /**
   * In the older layout the lane is the folder (`tasks/doing/WP01-x.md`): a lane change moves the file
   * to its new lane folder, in the same commit.
   */
  renameTo?: string | undefined;
  /** Commit message, e.g. `kit: 001-user-auth WP02 doing → for_review`. */
  message: (current: string) => string;
  /** The new file content from the current one; throws a KitError to refuse (nothing is written). */
  transform: (current: string) => Promise<string>;
}

export interface WorkPackageWriteResult {
  commit: string | null;
  content: string;
  /** With a remote: whether the lane change reached it (null without a remote). */
  publication: LanePublication | null;
}

/** Where a lane change stands on the remote after kit tried to publish it. */
export interface LanePublication {
  remote: string;
  published: boolean;
  /** Why not (unreachable, declined by the server); null when published. */
  reason: string | null;
  /** The commit on the remote that carries the change (another than the local one after a race). */
  commit: string | null;
  /**
   * lane_store: ref: lane files whose earlier change here, never published (made offline), another
   * clone's change to the same file replaced when this one went out (it stays in the lane ref's history).
   */
  superseded?: string[];
}

/** One file a lane write changes: its new content, and in the lane-folder layout the path it moves from. */
export interface LaneFileChange {
  path: string;
  content: string;
  movedFrom?: string | undefined;
}

/**
 * A lane change that touches several files in one commit (Spec Kitty 3.x: the event log and status.json,
 * sometimes the WP file). `files` are read from the target's tip (null: not there) and handed to
 * `transform`, which returns the changes or throws a KitError to refuse.
 */
export interface LaneFilesWrite {
  targetBranch: string;
  files: readonly string[];
  message: () => string;
  transform: (current: ReadonlyMap<string, string | null>) => Promise<LaneFileChange[]>;
  /** False: commit here only, even with a remote (kit merge pushes the whole target itself). */
  publish?: boolean | undefined;
  /**
   * `target`: commit on the target branch even with `lane_store: ref` (kit merge writing the final lanes
   * into the planning files it lands). By default the configured store.
   */
  store?: 'target' | undefined;
}

export interface LaneFilesResult {
  commit: string | null;
  changes: LaneFileChange[];
  publication: LanePublication | null;
}

const LANE_LOCK = 'lanes';
const LOCK_TIMEOUT_MS = 60_000;

export async function writeWorkPackage(workspace: Workspace, write: WorkPackageWrite): Promise<WorkPackageWriteResult> {
  let before = '';
  const destination = write.renameTo ?? write.file;
  const result = await writeLaneFiles(workspace, {
    targetBranch: write.targetBranch,
    files: destination === write.file ? [write.file] : [write.file, destination],
    message: () => write.message(before),
    transform: async (current) => {
      const bytes = current.get(write.file);
      if (bytes === null || bytes === undefined) throw notCommitted(write.file, write.targetBranch);
      if (destination !== write.file && current.get(destination) !== null) {
        throw new KitError(`${destination} already exists on ${write.targetBranch}`, {
          hint: 'two files claim this work package; remove one, then run kit again',
        });
      }
      before = bytes;
      const content = await write.transform(bytes);
      return [{ path: destination, content, movedFrom: destination === write.file ? undefined : write.file }];
    },
  });
  return { commit: result.commit, content: result.changes[0]?.content ?? '', publication: result.publication };
}

export async function writeLaneFiles(workspace: Workspace, write: LaneFilesWrite): Promise<LaneFilesResult> {
  const stateDir = kitStateDir(workspace);
  return withLock(
    stateDir,
    LANE_LOCK,
    () =>
      !workspace.config.commitLaneChanges
        ? editInPlace(workspace, write)
        : usesLaneRef(workspace.config) && write.store !== 'target'
          ? commitOnLaneRef(workspace, write, stateDir)
          : commitOnTarget(workspace, write, stateDir),
    { timeoutMs: LOCK_TIMEOUT_MS },
  );
}

/** The index kept between lane commits on one target (see GitPlumbing.treeWithBlobs). */
function keptIndexName(target: string): string {
  return `target-${target}`;
}

/** Runs `action` holding the lane lock every lane writer of this repository takes. */
export function withLaneLock<T>(workspace: Workspace, action: () => Promise<T>): Promise<T> {
  return withLock(kitStateDir(workspace), LANE_LOCK, action, { timeoutMs: LOCK_TIMEOUT_MS });
}

function notCommitted(file: string, branch: string): KitError {
  return new KitError(`${file} is not committed on ${branch}, where kit keeps lane state`, {
    hint: `commit the planning files first: git add ${file.replace(/\/tasks\/.*$/, '')} && git commit -m "Plan"`,
    exitCode: ExitCode.invalidInput,
  });
}

async function editInPlace(workspace: Workspace, write: LaneFilesWrite): Promise<LaneFilesResult> {
  const current = new Map<string, string | null>();
  for (const file of write.files) {
    const path = join(workspace.root, file);
    current.set(file, existsSync(path) ? readFileSync(path, 'utf8') : null);
  }
  const changes = await write.transform(current);
  for (const change of changes) {
    const destination = join(workspace.root, change.path);
    if (change.movedFrom && existsSync(destination)) {
      throw new KitError(`${change.path} already exists`, { hint: 'remove or rename it, then run kit again' });
    }
  }
  for (const change of changes) {
    writeFileAtomic(join(workspace.root, change.path), change.content);
    if (change.movedFrom) rmSync(join(workspace.root, change.movedFrom), { force: true });
  }
  return { commit: null, changes, publication: null };
}

interface BuiltLaneCommit {
  commit: string;
  changes: (LaneFileChange & { blob: string })[];
}

/**
 * The lane commit on top of `old`: the files as they are there, the transform's changes (it refuses by
 * throwing), one tree from a temporary index and one commit. With a checkout (the one that has the target
 * out), its copies are checked first: kit never overwrites the user's uncommitted edits.
 */
async function buildLaneCommit(
  git: GitPlumbing,
  write: LaneFilesWrite,
  old: string,
  checkout: string | null,
  stateDir: string,
  workspace: Workspace,
): Promise<BuiltLaneCommit> {
  // What only depends on `old` is read at once: the files, and the checkout's index entries of them.
  const [blobs, staged] = await Promise.all([
    Promise.all(write.files.map((file) => git.readBlob(old, file))),
    checkout ? Promise.all(write.files.map((file) => stagedChange(workspace, checkout, file))) : null,
  ]);
  const current = new Map<string, string | null>(
    write.files.map((file, index) => [file, blobs[index]?.toString('utf8') ?? null]),
  );
  // The checks and the new contents; the commit's tree is read into a temporary index meanwhile.
  const prepared = (async () => {
    if (checkout) {
      write.files.forEach((file, index) => {
        refuseLocalEdits(checkout, file, current.get(file) ?? null, staged?.[index] ?? false, write.targetBranch);
      });
    }
    const changes = await write.transform(current);
    if (checkout) {
      for (const change of changes) {
        if (change.movedFrom && existsSync(join(checkout, change.path))) {
          throw new KitError(`${change.path} exists (untracked) in ${checkout}`, {
            hint: 'move it away, then run kit again',
          });
        }
      }
      await waitForIndexLock(checkout);
    }
    const ids = await Promise.all(changes.map((change) => git.writeBlob(change.content)));
    return changes.map((change, index) => ({ ...change, blob: ids[index] ?? '' }));
  })();
  const tree = await git.treeWithBlobs(
    old,
    prepared.then((changes) =>
      changes.map((change) => ({ path: change.path, blob: change.blob, remove: change.movedFrom ?? null })),
    ),
    stateDir,
    keptIndexName(write.targetBranch),
  );
  const changes = await prepared;
  return { commit: await git.commitTree(tree, [old], write.message()), changes };
}

async function commitOnTarget(workspace: Workspace, write: LaneFilesWrite, stateDir: string): Promise<LaneFilesResult> {
  const git = new GitPlumbing(workspace.git);
  const ref = `refs/heads/${write.targetBranch}`;
  // The lock serializes kit's writers; a retry covers a user's own commit landing in between.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { old, checkout } = await targetState(workspace, write.targetBranch);
    if (!old) {
      throw new KitError(`the target branch ${write.targetBranch} does not exist`, {
        hint: "create it, or set target_branch in the feature's meta.json to the branch features merge into",
      });
    }
    const { commit, changes } = await buildLaneCommit(git, write, old, checkout, stateDir, workspace);
    if (!(await git.compareAndSwapRef(ref, commit, old))) continue;
    keptIndexAt(stateDir, keptIndexName(write.targetBranch), commit);
    if (checkout) {
      try {
        for (const change of changes) {
          await syncCheckoutFile(
            workspace,
            checkout,
            { from: change.movedFrom ?? change.path, to: change.path },
            change.blob,
            change.content,
          );
        }
      } catch (error) {
        await undoLaneCommit(git, ref, commit, old, checkout, changes.map((change) => change.path).join(', '), error);
      }
    }
    const publication =
      workspace.config.remote && write.publish !== false
        ? await publishLaneCommit(workspace, write, stateDir, { commit, parent: old, checkout })
        : null;
    return {
      commit,
      changes: changes.map(({ path, content, movedFrom }) => ({ path, content, movedFrom })),
      publication,
    };
  }
  throw new KitError(`${write.targetBranch} kept moving while kit tried to record the change`, {
    hint: 'run the command again',
  });
}

/**
 * Publishes a lane commit to the remote (lane_store: target): pushed with a lease on what this clone last
 * saw there, so a race with another clone is noticed, never overwritten. When the remote moved, its tip
 * is fetched and the same change is made again on it (the transform runs on the remote's files, so a WP
 * another clone moved meanwhile is refused just as on one machine), a bounded number of times. When this
 * clone had nothing but the change, its target then follows the published commit. Unreachable or
 * declining remotes leave the change recorded here and say so: kit sync publishes it later.
 */
async function publishLaneCommit(
  workspace: Workspace,
  write: LaneFilesWrite,
  stateDir: string,
  local: { commit: string; parent: string; checkout: string | null },
): Promise<LanePublication> {
  const remote = workspace.config.remote as string;
  const git = new GitPlumbing(workspace.git);
  const branch = write.targetBranch;
  const tracking = `refs/remotes/${remote}/${branch}`;
  let seen = await readRef(workspace, tracking);
  if (seen === null) {
    // Never fetched here: learn what the remote has before pushing anything.
    const fetched = await fetchBranch(workspace.git, remote, branch);
    if (fetched.kind === 'offline') return { remote, published: false, reason: fetched.reason, commit: null };
    seen = fetched.tip;
  }
  if (seen === null) {
    return {
      remote,
      published: false,
      reason: `${branch} does not exist on ${remote} yet (push it once yourself: git push -u ${remote} ${branch})`,
      commit: null,
    };
  }
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    // The lane commit goes as it is only when it sits right on what the remote has; otherwise the change is
    // made again on the remote's tip, so commits of the user's own that were never pushed stay local.
    let candidate = local.commit;
    // Also as it is when all that lies between is kit's own lane commits (made offline, say).
    const onTop =
      seen === local.parent ||
      ((await git.isAncestor(seen, local.parent)) &&
        (await onlyLaneCommits(workspace.git, seen, local.parent, workspace.config.specsDir)));
    if (!onTop) {
      try {
        candidate = (await buildLaneCommit(git, write, seen, null, stateDir, workspace)).commit;
      } catch (error) {
        // Another clone moved the same WP: the same refusal as on one machine, and nothing kept here.
        if (error instanceof LaneMovedError) {
          await revertLocalLaneCommit(workspace, git, branch, local);
          throw new LaneMovedError(`${error.message} (on ${remote}: another clone changed it)`, {
            hint: 'kit sync, then check kit status; this change was not recorded',
            exitCode: error.exitCode,
          });
        }
        // Anything else (the remote lacks this clone's planning commits, say): recorded here, not published.
        const reason = error instanceof Error ? error.message : String(error);
        return {
          remote,
          published: false,
          reason: `${branch} on ${remote} differs from yours (${reason})`,
          commit: null,
        };
      }
    }
    const outcome = await pushWithLease(workspace.git, remote, branch, candidate, seen);
    if (outcome.kind === 'pushed') {
      await git.output(['update-ref', '-m', 'kit: published', tracking, candidate]);
      if (candidate !== local.commit) await followPublished(workspace, git, branch, local, candidate);
      return { remote, published: true, reason: null, commit: candidate };
    }
    if (outcome.kind === 'offline' || outcome.kind === 'refused') {
      return { remote, published: false, reason: outcome.reason, commit: null };
    }
    await pauseBeforeRetry(attempt);
    const fetched = await fetchBranch(workspace.git, remote, branch);
    if (fetched.kind === 'offline') return { remote, published: false, reason: fetched.reason, commit: null };
    if (fetched.tip === null)
      return { remote, published: false, reason: `${branch} was deleted on ${remote}`, commit: null };
    seen = fetched.tip;
  }
  return { remote, published: false, reason: `${branch} on ${remote} kept moving`, commit: null };
}

/**
 * After a race the change went out on the remote's tip, not as the local commit. If the local target is
 * still just that local commit on what the remote had, it moves to the published one (the checkout
 * following with read-tree, which refuses to overwrite anything uncommitted); otherwise it stays, and the
 * two histories hold the same change until the user pulls.
 */
async function followPublished(
  workspace: Workspace,
  git: GitPlumbing,
  branch: string,
  local: { commit: string; parent: string; checkout: string | null },
  published: string,
): Promise<void> {
  if (!(await git.isAncestor(local.parent, published))) return;
  const ref = `refs/heads/${branch}`;
  if (!(await git.compareAndSwapRef(ref, published, local.commit))) return;
  if (!local.checkout) return;
  const moved = await moveCheckout(workspace, local.checkout, local.commit, published);
  if (moved.exitCode !== 0) await git.compareAndSwapRef(ref, local.commit, published);
}

/**
 * Moves a checkout's index and files from one commit to another (`read-tree -m -u`), refusing where the
 * user has uncommitted changes. The index is refreshed first: kit's own lane commits leave entries without
 * stat data, which read-tree would take for modified files.
 */
async function moveCheckout(
  workspace: Workspace,
  checkout: string,
  from: string,
  to: string,
): Promise<{ exitCode: number | null }> {
  await workspace.git.spawnGit(['update-index', '-q', '--refresh'], undefined, { cwd: checkout });
  return workspace.git.spawnGit(['read-tree', '-m', '-u', from, to], undefined, { cwd: checkout });
}

/** Takes a lane commit back that the remote refused as stale (another clone moved the same WP). */
async function revertLocalLaneCommit(
  workspace: Workspace,
  git: GitPlumbing,
  branch: string,
  local: { commit: string; parent: string; checkout: string | null },
): Promise<void> {
  const ref = `refs/heads/${branch}`;
  if (!(await git.compareAndSwapRef(ref, local.parent, local.commit))) return;
  if (!local.checkout) return;
  const moved = await moveCheckout(workspace, local.checkout, local.commit, local.parent);
  if (moved.exitCode !== 0) await git.compareAndSwapRef(ref, local.commit, local.parent);
}

/**
 * A branch moved under a checkout whose index cannot be updated would leave a staged reversal of the
 * change there (the next commit would undo it). So: wait briefly for another git process's index.lock,
 * and refuse before committing anything if it stays.
 */
async function waitForIndexLock(checkout: string): Promise<void> {
  const lock = join(checkoutGitDir(checkout), 'index.lock');
  for (let waited = 0; existsSync(lock); waited += 50) {
    if (waited >= 3000) {
      throw new KitError(`another git process holds ${lock}`, {
        hint: 'finish or close that git command (an open commit message editor, say) and run kit again; if no git process is running, delete the lock file',
      });
    }
    await sleep(50);
  }
}

/** The checkout could not follow the commit: put the branch back so nothing is half done. */
async function undoLaneCommit(
  git: GitPlumbing,
  ref: string,
  commit: string,
  old: string,
  checkout: string,
  file: string,
  cause: unknown,
): Promise<never> {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  if (await git.compareAndSwapRef(ref, old, commit)) {
    throw new KitError(`could not update ${file} in ${checkout}, so the lane change was not recorded: ${reason}`, {
      hint: 'run the command again once no other git process is using that checkout',
    });
  }
  throw new KitError(
    `the lane change is committed, but ${file} in ${checkout} could not be brought up to date: ${reason}`,
    {
      hint: `bring it up to date with git -C ${checkout} checkout HEAD -- ${file}`,
    },
  );
}

/**
 * The commit the target branch is at and the worktree that has it checked out, if any, from one
 * `git worktree list`: a checkout's HEAD is the branch's tip, so only a branch checked out nowhere needs
 * resolving on its own. (Either way the compare-and-swap on the branch proves it did not move since.)
 */
async function targetState(
  workspace: Workspace,
  branch: string,
): Promise<{ old: string | null; checkout: string | null }> {
  const worktrees = await workspace.git.worktrees();
  const checkedOut = worktrees.find((worktree) => worktree.branch === branch && !worktree.bare);
  // An unborn branch is listed with an all-zero HEAD.
  const head = checkedOut?.head && !/^0+$/.test(checkedOut.head) ? checkedOut.head : null;
  const old = head ?? (await new GitPlumbing(workspace.git).resolveCommit(`refs/heads/${branch}`));
  return { old, checkout: checkedOut?.path ?? null };
}

/** True when the checkout's index has a change of `file` against its HEAD (staged edits). */
async function stagedChange(workspace: Workspace, checkout: string, file: string): Promise<boolean> {
  const staged = await workspace.git.spawnGit(['diff', '--cached', '--quiet', '--', file], undefined, {
    cwd: checkout,
  });
  return staged.exitCode !== 0;
}

function refuseLocalEdits(
  checkout: string,
  file: string,
  committed: string | null,
  staged: boolean,
  branch: string,
): void {
  let working: string | null = null;
  try {
    working = readFileSync(join(checkout, file), 'utf8');
  } catch {
    working = null;
  }
  if (working !== committed || staged) {
    if (committed === null && working !== null) {
      throw new KitError(`${file} exists in ${checkout} but is not committed on ${branch}`, {
        hint: `commit it (git -C ${checkout} add ${file} && git -C ${checkout} commit) or move it away, then run kit again`,
      });
    }
    throw new KitError(`${file} has uncommitted edits in ${checkout}`, {
      hint: `commit them (git -C ${checkout} commit ${file}) or discard them (git -C ${checkout} checkout -- ${file}), then run kit again; kit records lane changes as commits on ${branch} and will not overwrite your edits`,
    });
  }
}

/** Brings the checked-out copy of the one file (index entry and working file) to the new commit. */
async function syncCheckoutFile(
  workspace: Workspace,
  checkout: string,
  paths: { from: string; to: string },
  blob: string,
  content: string,
): Promise<void> {
  const git = new GitPlumbing(workspace.git);
  const file = paths.to;
  const args = ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`];
  if (paths.from !== paths.to) args.push('--force-remove', paths.from);
  await git.output(args, undefined, { cwd: checkout });
  // The entry has no stat data now, so git compares content and `git status` shows the file clean.
  writeFileAtomic(join(checkout, file), content);
  if (paths.from !== paths.to) rmSync(join(checkout, paths.from), { force: true });
}

/**
 * What kit asks of a git remote: create refs there only if they do not exist yet, all or none, and read
 * back who holds a claim. Any remote git serves works (GitHub, a bare repository on a share, git daemon):
 * `--force-with-lease=<ref>:` with an empty value is a compare-and-swap against "absent" on the server,
 * and `--atomic` makes several such updates one decision. `--porcelain` gives one parseable line per ref
 * (`*` created, `!` rejected), so kit can tell "someone else has it" (rejected) from "could not reach the
 * remote" (no ref lines at all): the first is a refusal, the second is offline, which must never lose the
 * local change.
 */
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { GitPlumbing, type Git } from './git.js';
import { withLock } from './lock.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Rounds of fetch and re-apply when other clones publish lane changes at the same moment (both lane
 * stores): each round one of them wins, so this covers a dozen clones moving at once.
 */
export const PUBLISH_ATTEMPTS = 12;

/** A short random pause before the next round, growing with the round, so racing clones spread out. */
export function pauseBeforeRetry(attempt: number): Promise<void> {
  return sleep(Math.random() * 40 * (attempt + 1));
}

export type PushOutcome =
  | { kind: 'pushed' }
  /** A ref exists there already: someone else got it first. */
  | { kind: 'rejected'; refs: string[]; reason: string }
  /** The server turned the push down for another reason (a hook, a protected ref, a host rule). */
  | { kind: 'refused'; reason: string }
  | { kind: 'offline'; reason: string };

/** Creates each ref on `remote` at its commit, only if none of them exists there; all or nothing. */
export async function pushCreateOnly(
  git: Git,
  remote: string,
  refs: readonly { ref: string; commit: string }[],
): Promise<PushOutcome> {
  const args = [
    'push',
    '--porcelain',
    '--atomic',
    ...refs.map(({ ref }) => `--force-with-lease=${ref}:`),
    remote,
    ...refs.map(({ ref, commit }) => `${commit}:${ref}`),
  ];
  const result = await git.spawnGit(args);
  if (result.exitCode === 0) return { kind: 'pushed' };
  const rejected = rejectedLines(result);
  if (rejected.length > 0) {
    // With --atomic every ref of a failed push is listed. A ref that exists there says "stale info" (the
    // lease saw it); in a dead heat both pushes pass the lease and the server's own ref transaction turns
    // the later one down ("cannot lock ref ...: reference already exists").
    const taken = /stale info|already exists|fetch first/;
    const stale = rejected.filter((line) => taken.test(line));
    const lostRace = /cannot lock ref '([^']+)': reference already exists/.exec(result.stderr);
    if (stale.length > 0 || lostRace) {
      const named = stale.map((line) => line.split('\t')[1]?.split(':')[1] ?? '');
      if (lostRace?.[1]) named.push(lostRace[1]);
      const reason = statusOf(stale[0]) ?? 'reference already exists';
      return { kind: 'rejected', refs: [...new Set(named.filter(Boolean))], reason };
    }
    // Anything else is the server's own refusal.
    const status = rejected.find((line) => !/atomic push failed/.test(line)) ?? rejected[0];
    const reason = [statusOf(status), ...serverSaid(result.stderr)].filter(Boolean).join('; ');
    return { kind: 'refused', reason: reason || 'the remote declined the push' };
  }
  return { kind: 'offline', reason: gitCause(result.stderr) };
}

/** The ref a claim's record lives under on the remote: who took the WP, from where, when. */
export function claimRef(feature: string, wp: string): string {
  return `refs/kit/claims/${feature}/${wp}`;
}

/**
 * A claim record: a commit with no parent and the empty tree whose message names the agent, the machine
 * and the time. Pushed with the WP branch in one atomic push, so the clone that loses can say who won.
 */
export async function writeClaimRecord(
  git: Git,
  claim: { feature: string; wp: string; agent: string; branch: string; now: Date },
): Promise<string> {
  const plumbing = new GitPlumbing(git);
  const emptyTree = await plumbing.output(['mktree'], '');
  const message =
    `kit claim: ${claim.feature} ${claim.wp}\n\n` +
    `agent: ${claim.agent}\nhost: ${hostname()}\nbranch: ${claim.branch}\nat: ${claim.now.toISOString()}\n`;
  return plumbing.commitTree(emptyTree, [], message);
}

/** Who holds a claim on the remote, from its record; null when the remote has no record (or is unreachable). */
export async function readRemoteClaim(
  git: Git,
  remote: string,
  ref: string,
): Promise<{ agent: string; host: string; at: string } | null> {
  const local = `refs/kit/remote-claims/${remote}/${ref.slice('refs/kit/claims/'.length)}`;
  const fetched = await git.spawnGit(['fetch', '--quiet', '--no-tags', remote, `+${ref}:${local}`]);
  if (fetched.exitCode !== 0) return null;
  const shown = await git.spawnGit(['log', '-1', '--format=%B', local]);
  if (shown.exitCode !== 0) return null;
  const text = shown.stdout.toString('utf8');
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { agent: field('agent'), host: field('host'), at: field('at') };
}

/** Deletes refs on `remote` only where each still points at the given commit (a claim being undone). */
export async function deleteIfUnchanged(
  git: Git,
  remote: string,
  refs: readonly { ref: string; commit: string }[],
): Promise<boolean> {
  const result = await git.spawnGit([
    'push',
    '--porcelain',
    '--atomic',
    ...refs.map(({ ref, commit }) => `--force-with-lease=${ref}:${commit}`),
    remote,
    ...refs.map(({ ref }) => `:${ref}`),
  ]);
  return result.exitCode === 0;
}

/** Fetches one branch of `remote` into `refs/remotes/<remote>/<branch>`; its tip there, or why not. */
export function fetchBranch(
  git: Git,
  remote: string,
  branch: string,
): Promise<{ kind: 'fetched'; tip: string | null } | { kind: 'offline'; reason: string }> {
  return fetchRef(git, remote, `refs/heads/${branch}`, `refs/remotes/${remote}/${branch}`);
}

/** Fetches one ref of `remote` into `tracking` (left alone when the remote has no such ref); its tip there. */
export async function fetchRef(
  git: Git,
  remote: string,
  ref: string,
  tracking: string,
): Promise<{ kind: 'fetched'; tip: string | null } | { kind: 'offline'; reason: string }> {
  const listed = await listRemoteRefs(git, remote, [ref]);
  if (!listed.ok) return { kind: 'offline', reason: listed.reason };
  const tip = listed.tips.get(ref) ?? null;
  if (!tip) return { kind: 'fetched', tip: null };
  const fetched = await git.spawnGit(['fetch', '--quiet', '--no-tags', remote, `+${ref}:${tracking}`]);
  if (fetched.exitCode !== 0) return { kind: 'offline', reason: gitCause(fetched.stderr) };
  return { kind: 'fetched', tip };
}

/**
 * Fetches what other clones share: every branch (WP branches are claims, targets carry lanes) and the
 * claim records, pruning what was deleted there. One git process.
 */
export async function fetchShared(git: Git, remote: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const result = await git.spawnGit([
    'fetch',
    '--quiet',
    '--prune',
    '--no-tags',
    remote,
    `+refs/heads/*:refs/remotes/${remote}/*`,
    `+refs/kit/claims/*:${remoteClaimsPrefix(remote)}*`,
    `+refs/kit/archive/*:${remoteArchivePrefix(remote)}*`,
    // The lane refs (lane_store: ref); harmless where there are none.
    `+refs/kit/lanes/*:refs/kit/remote-lanes/${remote}/*`,
  ]);
  return result.exitCode === 0 ? { ok: true } : { ok: false, reason: gitCause(result.stderr) };
}

/**
 * Where kit keeps the archive refs other clones' merges published (`refs/kit/archive/<feature>/<WP>`: the
 * tip a WP landed with), so a merge here knows those WPs landed although their branches are gone.
 */
export function remoteArchivePrefix(remote: string): string {
  return `refs/kit/remote-archive/${remote}/`;
}

/** Where kit keeps the claim records it fetched from `remote`. */
export function remoteClaimsPrefix(remote: string): string {
  return `refs/kit/remote-claims/${remote}/`;
}

export interface RemoteClaim {
  feature: string;
  wp: string;
  agent: string;
  host: string;
  at: string;
  commit: string;
  /** This clone published it (so it is no other machine's claim). */
  own: boolean;
}

/** Where kit records the claims this clone published to `remote`. */
function ownClaimsPrefix(remote: string): string {
  return `refs/kit/own-claims/${remote}/`;
}

/** The claim records fetched from `remote` (as of the last sync), from one for-each-ref. */
export async function readRemoteClaims(git: Git, remote: string): Promise<RemoteClaim[]> {
  const prefix = remoteClaimsPrefix(remote);
  const ownPrefix = ownClaimsPrefix(remote);
  const result = await git.spawnGit([
    'for-each-ref',
    '--format=%(refname)%00%(objectname)%00%(contents)%00%00',
    prefix,
    ownPrefix,
  ]);
  if (result.exitCode !== 0) return [];
  const claims: RemoteClaim[] = [];
  const own = new Map<string, string>();
  for (const record of result.stdout.toString('utf8').split('\0\0')) {
    const [ref, commit, text] = record.replace(/^\n/, '').split('\0');
    if (!ref || !commit || text === undefined) continue;
    if (ref.startsWith(ownPrefix)) {
      own.set(ref.slice(ownPrefix.length), commit);
      continue;
    }
    const path = ref.slice(prefix.length);
    const slash = path.lastIndexOf('/');
    if (slash === -1) continue;
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
    claims.push({
      feature: path.slice(0, slash),
      wp: path.slice(slash + 1),
      agent: field('agent'),
      host: field('host'),
      at: field('at'),
      commit,
      own: false,
    });
  }
  for (const claim of claims) claim.own = own.get(`${claim.feature}/${claim.wp}`) === claim.commit;
  return claims;
}

/**
 * Pushes `commit` to `branch` on `remote` as a fast-forward only (no force): the remote's own check keeps
 * whatever someone else pushed there. A WP's work is published this way when it is handed in.
 */
export async function pushFastForward(git: Git, remote: string, branch: string, commit: string): Promise<PushOutcome> {
  const ref = `refs/heads/${branch}`;
  const result = await git.spawnGit(['push', '--porcelain', remote, `${commit}:${ref}`]);
  if (result.exitCode === 0) {
    await git.spawnGit(['update-ref', `refs/remotes/${remote}/${branch}`, commit]);
    return { kind: 'pushed' };
  }
  const lines = rejectedLines(result);
  if (lines.length === 0) return { kind: 'offline', reason: gitCause(result.stderr) };
  if (lines.some((line) => /non-fast-forward|fetch first/.test(line))) {
    return { kind: 'rejected', refs: [ref], reason: statusOf(lines[0]) ?? 'rejected' };
  }
  return { kind: 'refused', reason: statusOf(lines[0]) ?? gitCause(result.stderr) };
}

/** Fetches the remote's branches whose names start with `prefix` into `refs/remotes/<remote>/`. */
export async function fetchBranchesStartingWith(
  git: Git,
  remote: string,
  prefix: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const result = await git.spawnGit([
    'fetch',
    '--quiet',
    '--no-tags',
    remote,
    `+refs/heads/${prefix}*:refs/remotes/${remote}/${prefix}*`,
  ]);
  return result.exitCode === 0 ? { ok: true } : { ok: false, reason: gitCause(result.stderr) };
}

/** Pushes `commit` to `branch` on `remote` only if the branch is still at `expected` (null: absent). */
export function pushWithLease(
  git: Git,
  remote: string,
  branch: string,
  commit: string,
  expected: string | null,
): Promise<PushOutcome> {
  return pushRefWithLease(git, remote, `refs/heads/${branch}`, commit, expected);
}

/** Pushes `commit` to `ref` (a full ref name) on `remote` only if it is still at `expected` (null: absent). */
export async function pushRefWithLease(
  git: Git,
  remote: string,
  ref: string,
  commit: string,
  expected: string | null,
): Promise<PushOutcome> {
  const result = await git.spawnGit([
    'push',
    '--porcelain',
    `--force-with-lease=${ref}:${expected ?? ''}`,
    remote,
    `${commit}:${ref}`,
  ]);
  if (result.exitCode === 0) return { kind: 'pushed' };
  const lines = rejectedLines(result);
  if (lines.length === 0) return { kind: 'offline', reason: gitCause(result.stderr) };
  // A dead heat: both pushes passed the lease, and the server's ref update turned the later one down.
  const lostRace = /cannot lock ref '[^']+': (is at \S+ but expected|reference already exists)/.test(result.stderr);
  if (lostRace || lines.some((line) => /stale info|fetch first|non-fast-forward/.test(line))) {
    return { kind: 'rejected', refs: [ref], reason: statusOf(lines[0]) ?? 'rejected' };
  }
  return { kind: 'refused', reason: [statusOf(lines[0]), ...serverSaid(result.stderr)].filter(Boolean).join('; ') };
}

/** `git push --porcelain`'s lines for refs it did not update (`!`): ref, then status. */
function rejectedLines(result: { stdout: Buffer }): string[] {
  return result.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'));
}

/** The status of a porcelain ref line (`[rejected] (stale info)`), or undefined. */
function statusOf(line: string | undefined): string | undefined {
  return line?.split('\t')[2]?.trim() || undefined;
}

/** What the server itself said (a hook's message, a host rule): git prints it as `remote: ...` lines. */
function serverSaid(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('remote:'))
    .map((line) => line.replace(/^remote:\s*/, '').trim())
    .filter(Boolean);
}

/**
 * The tips of these refs on `remote` (one `ls-remote`); refs it does not have are absent from the map.
 */
export async function listRemoteRefs(
  git: Git,
  remote: string,
  refs: readonly string[],
): Promise<{ ok: true; tips: Map<string, string> } | { ok: false; reason: string }> {
  const listed = await git.spawnGit(['ls-remote', remote, ...refs]);
  if (listed.exitCode !== 0) return { ok: false, reason: gitCause(listed.stderr) };
  const tips = new Map<string, string>();
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name && refs.includes(name)) tips.set(name, sha);
  }
  return { ok: true, tips };
}

/**
 * What git said went wrong, in one line: its first `fatal:` or `error:` line (the cause), not the advice
 * that follows ("Please make sure you have the correct access rights and the repository exists.").
 */
function gitCause(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const cause = lines.find((line) => /^(fatal|error):/.test(line));
  return (cause ?? lines.at(-1) ?? 'no message').replace(/^(fatal|error):\s*/, '');
}

/** Drops this clone's record of a claim of its own that the remote no longer has. */
export async function forgetOwnClaim(git: Git, remote: string, claim: { feature: string; wp: string }): Promise<void> {
  await git.spawnGit(['update-ref', '-d', `${ownClaimsPrefix(remote)}${claim.feature}/${claim.wp}`]);
}

/** Keeps the claim record this clone just published where kit sync keeps fetched ones, so it is not news. */
export async function rememberPublishedClaim(
  git: Git,
  remote: string,
  claim: { feature: string; wp: string; record: string },
): Promise<void> {
  await git.spawnGit(['update-ref', `${remoteClaimsPrefix(remote)}${claim.feature}/${claim.wp}`, claim.record]);
  await git.spawnGit(['update-ref', `${ownClaimsPrefix(remote)}${claim.feature}/${claim.wp}`, claim.record]);
}

/** A claim made while the remote could not be reached, waiting for `kit sync` to publish it. */
export interface PendingClaim {
  feature: string;
  wp: string;
  branch: string;
  commit: string;
  record: string;
  agent: string;
  at: string;
}

const PENDING_FILE = 'pending-claims.json';
const SYNC_FILE = 'sync.json';

/**
 * Changes the journal of unpublished claims under a lock (kit implement adds, kit sync removes what it
 * published), so two kit processes never lose each other's entries.
 */
export async function updatePendingClaims(
  stateDir: string,
  change: (claims: PendingClaim[]) => PendingClaim[],
): Promise<void> {
  await withLock(stateDir, 'claims', async () => writePendingClaims(stateDir, change(readPendingClaims(stateDir))), {
    timeoutMs: 30_000,
  });
}

/** The claims not published yet, from the kit state dir (shared by every worktree). */
export function readPendingClaims(stateDir: string): PendingClaim[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(stateDir, PENDING_FILE), 'utf8'));
    return Array.isArray(parsed) ? (parsed as PendingClaim[]) : [];
  } catch {
    return [];
  }
}

export function writePendingClaims(stateDir: string, claims: readonly PendingClaim[]): void {
  const path = join(stateDir, PENDING_FILE);
  if (claims.length === 0) rmSync(path, { force: true });
  else writeFileAtomic(path, `${JSON.stringify(claims, null, 2)}\n`);
}

/** When this clone last synced with its remote, or null when it never has. */
export function readLastSync(stateDir: string): { remote: string; at: string } | null {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, SYNC_FILE), 'utf8')) as { remote?: unknown; at?: unknown };
    return typeof parsed.remote === 'string' && typeof parsed.at === 'string'
      ? { remote: parsed.remote, at: parsed.at }
      : null;
  } catch {
    return null;
  }
}

export function writeLastSync(stateDir: string, sync: { remote: string; at: string }): void {
  writeFileAtomic(join(stateDir, SYNC_FILE), `${JSON.stringify(sync)}\n`);
}

/**
 * Gives a WP's claim back on `remote` (its lane went back to planned, or to canceled): the claim record is
 * deleted where it still is what was fetched, and the WP's branch there too when it holds nothing beyond
 * `target` (no work to lose). A branch with work stays, and so does its claim: whoever has the work keeps it.
 */
export async function releaseClaim(
  git: Git,
  remote: string,
  claim: { feature: string; wp: string; branch: string; target: string },
): Promise<'released' | 'kept' | 'none' | 'offline'> {
  const ref = claimRef(claim.feature, claim.wp);
  const branchRef = `refs/heads/${claim.branch}`;
  const listed = await listRemoteRefs(git, remote, [ref, branchRef]);
  if (!listed.ok) return 'offline';
  const { tips } = listed;
  const claimTip = tips.get(ref);
  const branchTip = tips.get(branchRef);
  if (!claimTip && !branchTip) return 'none';
  const plumbing = new GitPlumbing(git);
  const targetTip = await plumbing.resolveCommit(`refs/heads/${claim.target}`);
  const empty = branchTip && targetTip ? await plumbing.isAncestorIfKnown(branchTip, targetTip) : null;
  if (branchTip && empty !== true) return 'kept';
  const refs = [
    ...(claimTip ? [{ ref, commit: claimTip }] : []),
    ...(branchTip ? [{ ref: branchRef, commit: branchTip }] : []),
  ];
  if (!(await deleteIfUnchanged(git, remote, refs))) return 'kept';
  for (const local of [remoteClaimsPrefix(remote), ownClaimsPrefix(remote)]) {
    await git.spawnGit(['update-ref', '-d', `${local}${claim.feature}/${claim.wp}`]);
  }
  return 'released';
}

/**
 * True when every commit in `from..to` is one of kit's lane commits: a subject starting with `kit: `, one
 * parent, and changes only under the specs dir. What else is there is the user's, which kit never pushes
 * on its own (a subject alone could be anyone's).
 */
export async function onlyLaneCommits(git: Git, from: string, to: string, specsDir: string): Promise<boolean> {
  const result = await git.spawnGit([
    'log',
    '--format=%x01%P%x02%s',
    '--name-only',
    '--no-renames',
    '-z',
    `${from}..${to}`,
  ]);
  if (result.exitCode !== 0) return false;
  const prefix = `${specsDir.replace(/\/+$/, '')}/`;
  for (const record of result.stdout.toString('utf8').split('\x01').filter(Boolean)) {
    const [head = '', ...rest] = record.split('\0');
    const [parents = '', subject = ''] = head.split('\x02');
    const paths = rest.map((path) => path.trim()).filter(Boolean);
    if (!subject.startsWith('kit: ') || parents.trim().split(' ').length !== 1) return false;
    if (paths.some((path) => !path.startsWith(prefix))) return false;
  }
  return true;
}

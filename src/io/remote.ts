/**
 * What kit asks of a git remote: create refs there only if they do not exist yet, all or none, and read
 * back who holds a claim. Any remote git serves works (GitHub, a bare repository on a share, git daemon):
 * `--force-with-lease=<ref>:` with an empty value is a compare-and-swap against "absent" on the server,
 * and `--atomic` makes several such updates one decision. `--porcelain` gives one parseable line per ref
 * (`*` created, `!` rejected), so kit can tell "someone else has it" (rejected) from "could not reach the
 * remote" (no ref lines at all): the first is a refusal, the second is offline, which must never lose the
 * local change.
 */
import { hostname } from 'node:os';
import { GitPlumbing, type Git } from './git.js';

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
  const out = result.stdout.toString('utf8');
  const lines = out.split('\n').filter((line) => /^[*+\-! =]\t/.test(line));
  if (result.exitCode === 0) return { kind: 'pushed' };
  const rejected = lines.filter((line) => line.startsWith('!'));
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
      const reason = stale[0]?.split('\t')[2]?.trim() ?? 'reference already exists';
      return { kind: 'rejected', refs: [...new Set(named.filter(Boolean))], reason };
    }
    // Anything else is the server's own refusal; its words come on stderr as "remote: ..." lines.
    const said = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('remote:'))
      .map((line) => line.replace(/^remote:\s*/, '').trim())
      .filter(Boolean);
    const status = rejected.find((line) => !/atomic push failed/.test(line)) ?? rejected[0] ?? '';
    const reason = [status.split('\t')[2]?.trim(), ...said].filter(Boolean).join('; ');
    return { kind: 'refused', reason: reason || 'the remote declined the push' };
  }
  const stderr = result.stderr.trim().split('\n').filter(Boolean);
  return { kind: 'offline', reason: stderr.at(-1) ?? `git push exited ${result.exitCode ?? 'by a signal'}` };
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

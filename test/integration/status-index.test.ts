/**
 * The read index of `kit status` (src/io/read-index.ts) and the worktrees' untracked records
 * (src/io/worktree-changes.ts) must never show a stale status: after every kind of change, the status read
 * through them must be the one computed afresh (KIT_READ_INDEX=0), and show the change. The racy window is
 * set to 0 so that the index is written and used even though each step changes files moments before kit
 * reads them (with the default 2 s, every run here would compute afresh and prove nothing); each step
 * also checks whether the index was used or rewritten, so the test fails if it silently never is.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo } from '../helpers/lanes.js';

const INDEXED = { KIT_RACY_WINDOW_MS: '0' };
const FRESH = { KIT_READ_INDEX: '0' };

interface WpJson {
  id: string;
  title: string;
  lane: string;
  worktree: string | null;
  git: { tip: string; ahead: number; behind: Record<string, number>; uncommittedFiles: string[] | null } | null;
}

interface Snapshot {
  text: string;
  wps: Map<string, WpJson>;
}

/** The status JSON without the ages (seconds since a commit: they move between two runs). */
function withoutAges(stdout: string): string {
  return stdout.replace(/"(lastCommitAgeSeconds|ageSeconds)": \d+/g, '"$1": 0');
}

function indexFiles(fx: FeatureRepo, kind = 'status'): { index: string | null; untracked: string | null } {
  const kitDir = join(fx.repo.root, '.git', 'kit');
  const indexDir = join(kitDir, 'read-index-v1');
  const names = existsSync(indexDir)
    ? readdirSync(indexDir).filter((name) => name.startsWith(`${kind}-`) && name.endsWith('.json'))
    : [];
  const untracked = join(kitDir, 'untracked-v2.json');
  return {
    index:
      names.length > 0
        ? names
            .sort()
            .map((name) => readFileSync(join(indexDir, name), 'utf8'))
            .join('\n')
        : null,
    untracked: existsSync(untracked) ? readFileSync(untracked, 'utf8') : null,
  };
}

/**
 * Runs status through the index and afresh, expects the same output, and reports whether the indexed run
 * answered from the index (the index file was there before and was not rewritten).
 */
async function statusBoth(fx: FeatureRepo, args: string[] = []): Promise<Snapshot & { fromIndex: boolean }> {
  const before = indexFiles(fx).index;
  const indexed = await fx.repo.kit(['status', '--json', ...args], { env: INDEXED });
  expectSuccess(indexed, 'kit status --json (read index)');
  const after = indexFiles(fx).index;
  const fresh = await fx.repo.kit(['status', '--json', ...args], { env: FRESH });
  expectSuccess(fresh, 'kit status --json (computed afresh)');
  expect(withoutAges(indexed.stdout)).toBe(withoutAges(fresh.stdout));
  const result = JSON.parse(fresh.stdout).result as { features: { workPackages: WpJson[] }[] };
  const wps = new Map(result.features.flatMap((feature) => feature.workPackages).map((wp) => [wp.id, wp]));
  return { text: fresh.stdout, wps, fromIndex: before !== null && before === after };
}

function wp(snapshot: Snapshot, id: string): WpJson {
  const found = snapshot.wps.get(id);
  if (!found) throw new Error(`no ${id} in the status`);
  return found;
}

async function implement(fx: FeatureRepo, id: string): Promise<string> {
  const run = await fx.repo.kit(['implement', id, '--agent', 'alice']);
  expectSuccess(run, `kit implement ${id}`);
  return fx.worktreePath(id);
}

describe('the status read index', () => {
  it('is used while nothing changed, and every change in the planning files, refs or worktrees shows at once', async () => {
    const fx = await makeFeatureRepo();
    const core = await implement(fx, 'WP01');
    await implement(fx, 'WP02');
    const parser = fx.worktreePath('WP02');

    let now = await statusBoth(fx);
    expect(indexFiles(fx).index).not.toBeNull();
    expect(indexFiles(fx).untracked).not.toBeNull();
    now = await statusBoth(fx);
    expect(now.fromIndex).toBe(true);
    expect(wp(now, 'WP01').git?.uncommittedFiles).toEqual([]);

    // A tracked file edited in a worktree.
    appendFileSync(join(core, 'README.md'), 'more\n');
    now = await statusBoth(fx);
    expect(now.fromIndex).toBe(true); // nothing the index keys on changed: only git's fresh answer did
    expect(wp(now, 'WP01').git?.uncommittedFiles).toEqual(['README.md']);

    // An untracked file at the top, then one in a new directory, then one in an existing directory.
    writeFileSync(join(core, 'notes.md'), 'notes\n');
    now = await statusBoth(fx);
    expect(wp(now, 'WP01').git?.uncommittedFiles).toEqual(['README.md', 'notes.md']);
    writeFileSync(join(parser, 'draft.txt'), 'x\n');
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').git?.uncommittedFiles).toEqual(['draft.txt']);
    const featureDir = join('kitty-specs', fx.feature);
    writeFileSync(join(parser, featureDir, 'scratch.md'), 'x\n');
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').git?.uncommittedFiles).toEqual(['draft.txt', `${featureDir}/scratch.md`]);

    // An ignore rule in the worktree hides one (a new .gitignore), then info/exclude hides another.
    writeFileSync(join(parser, '.gitignore'), 'draft.txt\n');
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').git?.uncommittedFiles).toEqual(['.gitignore', `${featureDir}/scratch.md`]);
    appendFileSync(join(fx.repo.root, '.git', 'info', 'exclude'), 'scratch.md\n');
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').git?.uncommittedFiles).toEqual(['.gitignore']);

    // A file taken out of the index (git rm --cached) becomes untracked without any directory changing.
    fx.repo.git(['rm', '-q', '--cached', 'README.md'], relative(fx.repo.root, parser));
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').git?.uncommittedFiles).toEqual(['README.md', '.gitignore', 'README.md']);
    fx.repo.git(['reset', '-q', '--', 'README.md'], relative(fx.repo.root, parser));

    // A commit in a worktree: the tip, ahead and the dependent's stale base change.
    const tipBefore = wp(now, 'WP01').git?.tip;
    commitFile(core, 'core.txt', 'core\n');
    now = await statusBoth(fx);
    expect(now.fromIndex).toBe(false);
    expect(wp(now, 'WP01').git?.tip).not.toBe(tipBefore);
    expect(wp(now, 'WP01').git?.ahead).toBe(1);
    expect(wp(now, 'WP02').git?.behind).toEqual({ WP01: 1 });

    // A lane moved with kit.
    expectSuccess(await fx.repo.kit(['move', 'WP03', '--to', 'doing', '--force']), 'kit move');
    now = await statusBoth(fx);
    expect(wp(now, 'WP03').lane).toBe('doing');

    // A WP file edited by hand, same size, then its mtime put back: the ctime still tells.
    const file = join(fx.repo.root, fx.file('WP04'));
    now = await statusBoth(fx);
    expect(now.fromIndex).toBe(true);
    const original = readFileSync(file, 'utf8');
    const title = wp(now, 'WP04').title;
    const renamed = title.replace(/.$/, (last) => (last === 'X' ? 'Y' : 'X'));
    const { atime, mtime } = statSync(file);
    expect(original).toContain(title);
    writeFileSync(file, original.replace(title, renamed));
    expect(statSync(file).size).toBe(Buffer.byteLength(original));
    utimesSync(file, atime, mtime);
    now = await statusBoth(fx);
    expect(now.fromIndex).toBe(false);
    expect(wp(now, 'WP04').title).toBe(renamed);

    // A new WP file, not committed.
    writeFileSync(
      join(fx.repo.root, featureDir, 'tasks', 'WP09-extra.md'),
      '---\nwork_package_id: WP09\ntitle: Extra\nlane: planned\ndependencies: []\n---\n# WP09\n',
    );
    now = await statusBoth(fx);
    expect(wp(now, 'WP09').lane).toBe('planned');

    // A branch moved by plain git under its worktree, then every ref packed, then moved again (packed).
    fx.repo.git(['update-ref', `refs/heads/${fx.branch('WP01')}`, `${fx.branch('WP01')}~1`]);
    now = await statusBoth(fx);
    expect(wp(now, 'WP01').git?.ahead).toBe(0);
    fx.repo.git(['pack-refs', '--all']);
    now = await statusBoth(fx);
    fx.repo.git(['update-ref', `refs/heads/${fx.branch('WP01')}`, `${fx.branch('WP01')}@{1}`]);
    now = await statusBoth(fx);
    expect(wp(now, 'WP01').git?.ahead).toBe(1);

    // A worktree removed.
    fx.repo.git(['worktree', 'remove', '--force', parser]);
    now = await statusBoth(fx);
    expect(wp(now, 'WP02').worktree).toBeNull();

    // --feature keeps an index of its own, with the same guarantees.
    now = await statusBoth(fx, ['--feature', fx.feature]);
    now = await statusBoth(fx, ['--feature', fx.feature]);
    expect(now.fromIndex).toBe(true);
  });

  it('answers kit check while nothing changed, and shows every change of the planning files', async () => {
    const fx = await makeFeatureRepo();
    /** kit check through the index and afresh: the same output and exit code; whether the index answered. */
    const checkBoth = async (args: string[] = []) => {
      const before = indexFiles(fx, 'check').index;
      const indexed = await fx.repo.kit(['check', ...args], { env: INDEXED });
      const after = indexFiles(fx, 'check').index;
      const fresh = await fx.repo.kit(['check', ...args], { env: FRESH });
      expect([indexed.stdout, indexed.stderr, indexed.exitCode]).toEqual([fresh.stdout, fresh.stderr, fresh.exitCode]);
      return { stdout: fresh.stdout, exitCode: fresh.exitCode, fromIndex: before !== null && before === after };
    };
    await checkBoth(['--json']);
    expect((await checkBoth(['--json'])).fromIndex).toBe(true);
    expect((await checkBoth()).exitCode).toBe(0); // planned WPs are not unfinished

    const file = join(fx.repo.root, fx.file('WP01'));
    const original = readFileSync(file, 'utf8');
    // A lane edited by hand (planned → doing: a problem), then to done with as many bytes and the mtime put back.
    writeFileSync(file, original.replace(/^lane: .*$/m, 'lane: doing'));
    let now = await checkBoth(['--json']);
    expect(now.fromIndex).toBe(false);
    expect(now.stdout).toContain('WP01 is in doing');
    expect(now.exitCode).toBe(1);
    const { atime, mtime, size } = statSync(file);
    writeFileSync(file, original.replace(/^lane: .*$/m, 'lane: done '));
    expect(statSync(file).size).toBe(size);
    utimesSync(file, atime, mtime);
    now = await checkBoth(['--json']);
    expect(now.stdout).not.toContain('WP01 is in doing');
    expect(now.exitCode).toBe(0);

    // A broken WP file, a new one, a removed one, and a meta.json edit each show.
    writeFileSync(join(fx.repo.root, fx.file('WP02')), '---\ntitle: [unclosed\n---\n');
    now = await checkBoth(['--json']);
    expect(now.stdout).toContain(fx.file('WP02'));
    const featureDir = join(fx.repo.root, 'kitty-specs', fx.feature);
    writeFileSync(
      join(featureDir, 'tasks', 'WP09-extra.md'),
      '---\nwork_package_id: WP09\ntitle: Extra\nlane: planned\ndependencies: []\n---\n# WP09\n',
    );
    now = await checkBoth(['--json']);
    expect(now.stdout).toContain('WP09');
    fx.repo.git(['rm', '-q', fx.file('WP03')]);
    now = await checkBoth(['--json']);
    expect(now.stdout).not.toContain(fx.file('WP03'));
    await checkBoth(['--strict']);
    await checkBoth(['--feature', fx.feature]);
  });

  it('is not written for inputs changed within the racy window (the default 2 s)', async () => {
    const fx = await makeFeatureRepo();
    const run = await fx.repo.kit(['status', '--json']);
    expectSuccess(run, 'kit status --json');
    // The planning files were committed moments ago: their stat data cannot vouch for them yet.
    expect(indexFiles(fx).index).toBeNull();
  });
});

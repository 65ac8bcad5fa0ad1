import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isIgnored, isNews, type WatchRule, watchWorkspace, type WorkspaceWatcher } from '../../src/io/watch.js';
import { childEnv, git, makeRepo, type TempRepo } from '../helpers/repo.js';

describe('what the board watcher ignores', () => {
  const rules = new Map<string, WatchRule>([
    ['/r/kitty-specs', { kind: 'specs' }],
    ['/r/.git', { kind: 'gitdir', allow: new Set(['HEAD', 'packed-refs']) }],
    ['/r/.git/refs/heads', { kind: 'refs' }],
    ['/r/.git/worktrees/w', { kind: 'gitdir', allow: new Set(['HEAD', 'index']) }],
    ['/r/.worktrees/w', { kind: 'tree', ignoredDirs: ['/r/.worktrees/w/node_modules'] }],
  ]);
  const file = { isFile: () => true, isDirectory: () => false };

  it('keeps the watched roots and what matters under each', () => {
    for (const path of [
      '/r/kitty-specs',
      '/r/kitty-specs/001-x/tasks/WP01-x.md',
      '/r/kitty-specs/001-x/meta.json',
      '/r/.git/HEAD',
      '/r/.git/packed-refs',
      '/r/.git/refs/heads/001-x-WP01',
      '/r/.git/refs/heads/feature/deep',
      '/r/.git/worktrees/w/HEAD',
      '/r/.git/worktrees/w/index',
      '/r/.worktrees/w/src/a.ts',
    ]) {
      expect(isIgnored(rules, path, file), path).toBe(false);
    }
  });

  it('ignores the rest of the git dirs, lock and temporary files, .git and what git ignores in a worktree', () => {
    for (const path of [
      '/r/.git/index',
      '/r/.git/objects',
      '/r/.git/kit/cache/frontmatter-v2.json',
      '/r/.git/refs',
      '/r/.git/refs/heads/main.lock',
      '/r/.git/worktrees/w/logs',
      '/r/.git/worktrees/w/index.lock',
      '/r/kitty-specs/001-x/tasks/WP01-x.md.123.abcd.tmp',
      '/r/kitty-specs/.DS_Store',
      '/r/.worktrees/w/.git',
      '/r/.worktrees/w/node_modules/left-pad/index.js',
    ]) {
      expect(isIgnored(rules, path, file), path).toBe(true);
    }
    expect(isIgnored(rules, '/r/kitty-specs/001-x/tasks/notes.txt', file)).toBe(true);
    expect(isIgnored(rules, '/r/kitty-specs/001-x/tasks/notes.txt')).toBe(false); // no stats yet: maybe a dir
  });
});

describe('what the board watcher reports when it starts', () => {
  const rules = new Map<string, WatchRule>([['/r/kitty-specs', { kind: 'specs', since: 1_000_000 }]]);
  const stamp = (mtimeMs: number, ctimeMs = mtimeMs) => ({ mtimeMs, ctimeMs });

  it('reports files changed or renamed into place since the data was read, and nothing older', () => {
    expect(isNews(rules, 'add', '/r/kitty-specs/001-x/tasks/WP01-x.md', stamp(1_000_500))).toBe(true);
    expect(isNews(rules, 'add', '/r/kitty-specs/001-x/tasks/WP01-x.md', stamp(900_000, 1_000_100))).toBe(true);
    expect(isNews(rules, 'add', '/r/kitty-specs/001-x/tasks/WP01-x.md', stamp(900_000))).toBe(false);
    expect(isNews(rules, 'addDir', '/r/kitty-specs/001-x', stamp(900_000))).toBe(false);
    // Every other event is news, and so is anything without stats or outside a root with a time.
    expect(isNews(rules, 'change', '/r/kitty-specs/001-x/tasks/WP01-x.md', stamp(900_000))).toBe(true);
    expect(isNews(rules, 'unlink', '/r/kitty-specs/001-x/tasks/WP01-x.md')).toBe(true);
    expect(isNews(rules, 'add', '/r/kitty-specs/001-x/tasks/WP02-x.md')).toBe(true);
    expect(isNews(rules, 'add', '/elsewhere/file', stamp(0))).toBe(true);
  });
});

describe('the board watcher (chokidar, real file events)', () => {
  let watcher: WorkspaceWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
  });

  /** A repository with a specs dir and one linked worktree that ignores node_modules/. */
  function setup(): { repo: TempRepo; worktree: string; events: { at: number; paths: string[] }[] } {
    const repo = makeRepo();
    repo.write('kitty-specs/001-x/tasks/WP01-x.md', '---\nlane: planned\n---\n');
    repo.write('.gitignore', 'node_modules/\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-q', '-m', 'plan']);
    const worktree = join(repo.root, '.worktrees', '001-x-WP01');
    repo.git(['worktree', 'add', '-q', '-b', '001-x-WP01', worktree]);
    mkdirSync(join(worktree, 'node_modules', 'dep'), { recursive: true });
    return { repo, worktree, events: [] };
  }

  async function start(fixture: ReturnType<typeof setup>, since = Date.now()): Promise<WorkspaceWatcher> {
    const started = watchWorkspace(
      { specsDir: join(fixture.repo.root, 'kitty-specs'), commonDir: join(fixture.repo.root, '.git'), since },
      (paths) => fixture.events.push({ at: Date.now(), paths }),
    );
    watcher = started;
    await started.ready;
    await started.follow([fixture.worktree], since);
    await sleep(100); // let the new watches settle
    return started;
  }

  it('starts silent, yet reports what changed between reading the data and the watches being in place', async () => {
    const quiet = setup();
    await sleep(30);
    await start(quiet);
    await sleep(100);
    expect(quiet.events).toEqual([]);
    await watcher?.close();

    const busy = setup();
    const readAt = Date.now();
    await sleep(30);
    busy.repo.write('kitty-specs/001-x/tasks/WP01-x.md', '---\nlane: doing\n---\n'); // before the watcher runs
    writeFileSync(join(busy.worktree, 'early.txt'), 'uncommitted\n');
    await start(busy, readAt);
    await sleep(100);
    const reported = busy.events.flatMap((event) => event.paths);
    expect(reported).toContain(join(busy.repo.root, 'kitty-specs', '001-x', 'tasks', 'WP01-x.md'));
    expect(reported).toContain(join(busy.worktree, 'early.txt'));
  });

  /** Does something and returns how long until the watcher reported it (fails after 2 s). */
  async function latency(fixture: ReturnType<typeof setup>, act: () => void): Promise<number> {
    fixture.events.length = 0;
    const at = Date.now();
    act();
    const deadline = at + 2000;
    while (fixture.events.length === 0) {
      if (Date.now() > deadline) throw new Error('the watcher reported nothing within 2 s');
      await sleep(5);
    }
    return (fixture.events[0]?.at ?? 0) - at;
  }

  it('reports a WP file change, a lane commit on a branch or on the lane ref, a commit, staging and a new file in a worktree, each within 300 ms', async () => {
    const fixture = setup();
    const started = await start(fixture);
    fixture.events.length = 0;
    expect(started.roots()).toContain(fixture.worktree);
    const { repo, worktree } = fixture;
    const times = [
      await latency(fixture, () => repo.write('kitty-specs/001-x/tasks/WP01-x.md', '---\nlane: doing\n---\n')),
      await latency(fixture, () => repo.git(['branch', 'other'])),
      // lane_store: ref: a lane commit moves only refs/kit/lanes/<target>, which does not exist before it.
      await latency(fixture, () => repo.git(['update-ref', 'refs/kit/lanes/main', 'HEAD'])),
      await latency(fixture, () => writeFileSync(join(worktree, 'new.txt'), 'uncommitted\n')),
      await latency(fixture, () => git(worktree, ['add', 'new.txt'])),
      await latency(fixture, () => git(worktree, ['commit', '-q', '-m', 'work'])),
    ];
    for (const ms of times) expect(ms).toBeLessThan(300);
  });

  it('coalesces a burst into one report, and ignores what git ignores and its own reads', async () => {
    const fixture = setup();
    await start(fixture);
    fixture.events.length = 0;
    const { repo, worktree } = fixture;
    for (let index = 0; index < 20; index++) repo.write(`kitty-specs/001-x/tasks/WP0${index % 9}-x.md`, `${index}\n`);
    await sleep(400);
    expect(fixture.events.length).toBeGreaterThanOrEqual(1);
    expect(fixture.events.length).toBeLessThanOrEqual(2);
    fixture.events.length = 0;
    writeFileSync(join(worktree, 'node_modules', 'dep', 'index.js'), 'ignored\n');
    // What a reload runs: kit's git status never refreshes the index (GIT_OPTIONAL_LOCKS=0).
    execFileSync('git', ['status', '--porcelain'], { cwd: worktree, env: childEnv({ GIT_OPTIONAL_LOCKS: '0' }) });
    await sleep(400);
    expect(fixture.events).toEqual([]);
  });

  it('stops watching a worktree that is no longer followed', async () => {
    const fixture = setup();
    const started = await start(fixture);
    await started.follow([]);
    expect(started.roots()).not.toContain(fixture.worktree);
    await sleep(50);
    fixture.events.length = 0;
    writeFileSync(join(fixture.worktree, 'late.txt'), 'x\n');
    await sleep(300);
    expect(fixture.events).toEqual([]);
  });
});

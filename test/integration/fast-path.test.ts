/**
 * `kit check` and `kit status --json` run without oclif in their plain forms (src/fast.ts). They must
 * print exactly what the oclif commands print, with the same exit code, for every form they take on and
 * for the errors a user can fix; KIT_FAST=0 forces the oclif path for the comparison.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, kit, KIT_BIN, type KitRun, makeTempDir } from '../helpers/repo.js';
import { makeSharedRepo, missionMeta } from '../helpers/spec-kitty-3.js';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const wp = (id: string, lane: string, dependencies: string[] = []) =>
  `---\nwork_package_id: ${id}\ntitle: Work ${id}\nlane: ${lane}\ndependencies: [${dependencies.join(', ')}]\n---\n# ${id}\n`;

/** NODE_OPTIONS that make loading @oclif/core fail: what still works ran on the fast path. */
function withoutOclif(): Record<string, string> {
  const dir = makeTempDir('kit-no-oclif-');
  const hook = `data:text/javascript,${encodeURIComponent(
    'export async function resolve(specifier, context, next) { if (specifier === "@oclif/core") throw new Error("oclif is blocked"); return next(specifier, context); }',
  )}`;
  writeFileSync(
    join(dir, 'block.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(hook)});\n`,
  );
  return { NODE_OPTIONS: `--import=${join(dir, 'block.mjs')}` };
}

describe('the fast path of check and status --json', () => {
  let root = '';
  beforeAll(() => {
    root = makeSharedRepo([
      {
        dir: 'alert-pipeline-01KQZC7A',
        meta: missionMeta('alert-pipeline-01KQZC7A'),
        wps: { 'WP01-a.md': { work_package_id: 'WP01', title: 'A', dependencies: [] } },
        log: [],
      },
    ]).root;
    write(root, 'kitty-specs/001-first/meta.json', '{"target_branch": "main", "friendly_name": "First"}\n');
    write(root, 'kitty-specs/001-first/tasks/WP01-one.md', wp('WP01', 'done'));
    write(root, 'kitty-specs/001-first/tasks/WP02-two.md', wp('WP02', 'doing', ['WP01']));
    write(root, 'kitty-specs/002-second/tasks/WP01-one.md', wp('WP01', 'planned', ['WP09']));
    // Enough WPs that status --json is larger than a pipe's buffer (the early-reader case needs that).
    for (let index = 1; index <= 400; index++) {
      const id = `WP${String(index).padStart(3, '0')}`;
      write(root, `kitty-specs/003-many/tasks/${id}-w.md`, wp(id, 'done'));
    }
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync('git', ['commit', '-q', '-m', 'plan'], { cwd: root });
  });

  const cases: string[][] = [
    ['check'],
    ['check', '--json'],
    ['check', '--strict'],
    ['check', '--format', 'github'],
    ['check', '--format=json'],
    ['check', '--feature', '001'],
    ['check', '-f', '002', '--json'],
    ['check', '--feature=first'],
    ['check', '--feature', 'nope'],
    ['check', '--feature', 'nope', '--json'],
    ['check', '--feature', '../x'],
    ['status', '--json'],
    ['status', '--json', '--feature', '001'],
    ['status', '--plain', '--json', '-f', 'alert-pipeline'],
    ['status', '--json', '--feature', 'nope'],
  ];

  it('a reader that stops early is not an error (exit 0, nothing on stderr), as with oclif', () => {
    for (const env of [{}, { KIT_FAST: '0' }]) {
      const stderrFile = join(makeTempDir('kit-epipe-'), 'stderr.txt');
      // `| head -c 10`, as an agent peeking at the output would: kit's later writes hit a closed pipe.
      const script = `"${process.execPath}" "${KIT_BIN}" status --json 2>"${stderrFile}" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const code = spawnSync('bash', ['-c', script], { cwd: root, env: childEnv(env), encoding: 'utf8' }).stdout.trim();
      expect({ code, stderr: readFileSync(stderrFile, 'utf8') }, JSON.stringify(env)).toEqual({
        code: '0',
        stderr: '',
      });
    }
  });

  it('hands every other command line to oclif', async () => {
    const blocked = withoutOclif();
    for (const args of [
      ['check', '--bogus'],
      ['status', '--sync', '--json'],
      ['check', '--feature'],
      ['check', '--feature=--strict'],
      ['status', '--json', '--feature=-f'],
    ]) {
      const run = await kit(args, { cwd: root, env: blocked });
      expect(run.stderr, args.join(' ')).toContain('oclif is blocked');
    }
  });

  const comparable = (run: KitRun) => ({
    exitCode: run.exitCode,
    // Ages and times move between the two runs.
    stdout: run.stdout.replace(/"(lastCommitAgeSeconds|ageSeconds)": \d+/g, '"$1": 0'),
    stderr: run.stderr,
  });

  it('prints what oclif prints, with the same exit code, without loading oclif', async () => {
    const blocked = withoutOclif();
    for (const args of cases) {
      const fast = await kit(args, { cwd: root, env: blocked });
      const oclif = await kit(args, { cwd: root, env: { KIT_FAST: '0' } });
      expect(comparable(fast), args.join(' ')).toEqual(comparable(oclif));
    }
  });

  it('outside a repository too', async () => {
    const outside = makeTempDir('kit-fast-outside-');
    const blocked = withoutOclif();
    for (const args of [['check'], ['status', '--json'], ['check', '--json']]) {
      const fast = await kit(args, { cwd: outside, env: blocked });
      const oclif = await kit(args, { cwd: outside, env: { KIT_FAST: '0' } });
      expect(comparable(fast), args.join(' ')).toEqual(comparable(oclif));
      expect(fast.exitCode).not.toBe(0);
    }
  });
});

describe('the fast path of kit move', () => {
  let root = '';
  beforeAll(() => {
    root = makeSharedRepo([]).root;
    write(root, 'kitty-specs/001-first/meta.json', '{"target_branch": "main", "friendly_name": "First"}\n');
    write(root, 'kitty-specs/001-first/tasks/WP01-one.md', wp('WP01', 'planned'));
    write(root, 'kitty-specs/001-first/tasks/WP02-two.md', wp('WP02', 'doing', ['WP01']));
    write(root, 'kitty-specs/001-first/tasks/WP03-three.md', wp('WP03', 'for_review'));
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync('git', ['commit', '-q', '-m', 'plan'], { cwd: root });
  });

  /** A copy of the repository (config and identity included) for one run: a move changes it. */
  function copy(): string {
    const dest = join(makeTempDir('kit-fast-move-'), 'repo');
    cpSync(root, dest, { recursive: true });
    return dest;
  }

  // Commits and times differ between two runs; everything else must not.
  const comparable = (run: KitRun) => ({
    exitCode: run.exitCode,
    stdout: run.stdout
      .replace(/\b[0-9a-f]{40}\b/g, '<sha>')
      .replace(/\b[0-9a-f]{12}\b/g, '<sha>')
      .replace(/"(timestamp|at)": "[^"]*"/g, '"$1": "<time>"'),
    stderr: run.stderr,
  });

  const cases: string[][] = [
    ['move', 'WP01', '--to', 'doing'],
    ['move', 'WP01', '--to', 'doing', '--json'],
    ['move', '--to=doing', 'WP01', '--agent', 'claude'],
    ['move', 'WP02', '--to', 'done'],
    ['move', 'WP02', '--to', 'done', '--json'],
    ['move', 'WP02', '--to', 'planned', '--force', '-f', '001'],
    ['move', 'WP03', '--to', 'doing'],
    ['move', 'WP03', '--to', 'doing', '--note', 'Handle the empty input'],
    ['move', 'WP09', '--to', 'doing'],
    ['move', 'WP01', '--to', 'sideways', '--json'],
    ['move', 'WP01', '--to', 'doing', '--feature', '../x'],
    ['move', '--to', 'doing'],
  ];

  it('prints and commits what oclif does, with the same exit code, without loading oclif', async () => {
    const blocked = withoutOclif();
    for (const args of cases) {
      const [fastRepo, oclifRepo] = [copy(), copy()];
      const fast = await kit(args, { cwd: fastRepo, env: blocked });
      const oclif = await kit(args, { cwd: oclifRepo, env: { KIT_FAST: '0' } });
      expect(comparable(fast), args.join(' ')).toEqual(comparable(oclif));
      // The same change landed (or nothing did): the WP files on main are the same but for times.
      const files = (repo: string) =>
        execFileSync('git', ['show', 'main:kitty-specs/001-first/tasks/WP01-one.md'], { cwd: repo, encoding: 'utf8' })
          .replace(/timestamp: .*/g, '')
          .replace(/shell_pid: .*/g, '');
      expect(files(fastRepo), args.join(' ')).toBe(files(oclifRepo));
    }
  });

  it('hands usage mistakes to oclif', async () => {
    const blocked = withoutOclif();
    for (const args of [
      ['move', 'WP01'],
      ['move', 'WP01', '--to'],
      ['move', 'WP01', '--to', 'doing', '--bogus'],
      ['move', 'WP01', 'WP02', '--to', 'doing'],
    ]) {
      const run = await kit(args, { cwd: copy(), env: blocked });
      expect(run.stderr, args.join(' ')).toContain('oclif is blocked');
    }
  });
});

/**
 * kit leaves no process behind: every child it starts (the git shell, its jobs, git itself) is reaped
 * before kit exits, on success, on error and on Ctrl-C. Each run gets a process group of its own
 * (`detached`), so whatever kit started still carries that group id: alive or a zombie, `ps` lists it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, git, KIT_BIN } from '../helpers/repo.js';
import { makeSharedRepo } from '../helpers/spec-kitty-3.js';

interface Finished {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** `ps` lines of processes still in kit's process group the moment kit exited. */
  leftovers: string[];
}

function processGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,ppid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && Number(line.split(/\s+/)[1]) === pgid);
}

function runKit(cwd: string, args: readonly string[], interrupt = false): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIT_BIN, ...args], {
      cwd,
      env: childEnv(),
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const pgid = child.pid ?? -1;
    let exited = false;
    // Ctrl-C as a terminal sends it: to the whole process group, once kit runs git jobs (kit, its shell and
    // a job: the shell ignores SIGINT from its first instruction, so with a job running it already does).
    const poll = () => {
      if (exited) return;
      if (processGroup(pgid).length > 2) process.kill(-pgid, 'SIGINT');
      else setTimeout(poll, 5);
    };
    if (interrupt) poll();
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => {
      exited = true;
      resolve({ exitCode, signal, leftovers: processGroup(pgid) });
    });
  });
}

const featureFiles = (count: number): Record<string, string> => {
  const files: Record<string, string> = {
    'kitty-specs/001-x/meta.json': '{"target_branch": "main"}\n',
    'kitty-specs/001-x/spec.md': '# X\n',
  };
  for (let index = 1; index <= count; index++) {
    const id = `WP${String(index).padStart(2, '0')}`;
    files[`kitty-specs/001-x/tasks/${id}-w.md`] =
      `---\nwork_package_id: ${id}\ntitle: Work ${index}\nlane: done\ndependencies: []\n---\n# ${id}\n`;
  }
  return files;
};

describe.skipIf(process.platform === 'win32')('kit leaves no process behind', () => {
  let root = '';
  beforeAll(() => {
    root = makeSharedRepo([]).root;
    for (const [path, text] of Object.entries(featureFiles(6))) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    git(root, ['add', '-A']);
    git(root, ['commit', '--quiet', '-m', 'plan']);
    // Done WPs with a commit each on their branches, so status and merge have git work to do.
    for (let index = 1; index <= 6; index++) {
      const branch = `001-x-WP0${index}`;
      git(root, ['branch', branch]);
      git(root, ['worktree', 'add', '--quiet', `.worktrees/${branch}`, branch]);
      git(`${root}/.worktrees/${branch}`, ['commit', '--quiet', '--allow-empty', '-m', `work ${index}`]);
    }
  });

  it('after a successful read command', async () => {
    const run = await runKit(root, ['status', '--json']);
    expect(run.exitCode).toBe(0);
    expect(run.leftovers).toEqual([]);
  });

  it('after a command that fails once git has run', async () => {
    const run = await runKit(root, ['move', 'WP01', '--to', 'planned', '--note', 'x']);
    expect(run.exitCode).not.toBe(0);
    expect(run.exitCode).not.toBe(70);
    expect(run.leftovers).toEqual([]);
  });

  it('after a command that runs many git processes at once', async () => {
    const run = await runKit(root, ['merge', '--dry-run', '--json']);
    expect([0, 1, 3, 4]).toContain(run.exitCode);
    expect(run.leftovers).toEqual([]);
  });

  it('after Ctrl-C in the middle of a command', async () => {
    // A run can finish in the moment between seeing its first git job and the signal: try a few times,
    // and require one real interruption. Nothing may be left behind either way.
    const codes: (number | null)[] = [];
    for (let attempt = 0; attempt < 4 && !codes.includes(130); attempt++) {
      const run = await runKit(root, ['merge', '--dry-run', '--json'], true);
      expect(run.signal).toBeNull();
      expect(run.leftovers).toEqual([]);
      codes.push(run.exitCode);
    }
    expect(codes).toContain(130);
  });
});

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KitRun, makeRepo, STACK_LINE, type TempRepo, writeFeature } from '../helpers/repo.js';

function repoWithFeature(): TempRepo {
  const repo = makeRepo();
  writeFeature(repo, '001-x', 'The x feature');
  repo.write('kitty-specs/001-x/tasks/WP01-one.md', '---\nwork_package_id: WP01\ntitle: One\nlane: done\n---\n');
  return repo;
}

/** A --json failure: exactly one error envelope on stdout, its exit code the process's, nothing on stderr. */
function expectErrorEnvelope(run: KitRun, exitCode: number): void {
  expect(run.exitCode).toBe(exitCode);
  expect(run.stderr).toBe('');
  expect(run.json).toEqual({
    ok: false,
    error: { message: expect.any(String), hint: expect.anything(), exitCode },
  });
  expect(run.json?.error?.message.length).toBeGreaterThan(0);
  expect(JSON.parse(run.stdout)).toEqual(run.json);
}

describe('bad input', () => {
  it('rejects path-like feature names (exit 3) in every command that takes --feature, writing nothing', async () => {
    const repo = repoWithFeature();
    // Something a path traversal could reach: a feature-like directory outside the specs dir.
    repo.write('x/spec.md', '# not a feature\n');
    const before = repo.snapshot();
    const cases = [
      ...['plan', 'tasks', 'check'].map((command) => [command, '../x']),
      ...['/etc', '..', 'kitty-specs/001-x', '..\\x'].map((reference) => ['plan', reference]),
    ];
    for (const [command = '', reference = ''] of cases) {
      const run = await repo.kit([command, '--feature', reference]);
      expect(run.exitCode, `${command} --feature ${reference}`).toBe(3);
      expect(run.stderr).toContain('not a feature name');
      expect(run.stderr).not.toMatch(STACK_LINE);
    }
    expect(repo.snapshot()).toEqual(before);
  });

  it('exits 2 for unknown flags, unknown commands, missing arguments and bad option values', async () => {
    const repo = repoWithFeature();
    const before = repo.snapshot();
    const cases: string[][] = [
      ['init', '--bogus'],
      ['specify', 'A feature', '--no-such-flag'],
      ['plan', '--feature', '1', '--researh'],
      ['tasks', '-z'],
      ['check', '--format', 'xml'],
      ['specify'],
      ['frobnicate'],
    ];
    for (const args of cases) {
      const run = await repo.kit(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: /m);
      expect(run.stderr).not.toMatch(STACK_LINE);
    }
    expect(repo.snapshot()).toEqual(before);
  });

  it('with --json prints the error envelope on stdout and nothing else', async () => {
    const repo = repoWithFeature();
    expectErrorEnvelope(await repo.kit(['plan', '--bogus', '--json']), 2);
    expectErrorEnvelope(await repo.kit(['specify', '--json']), 2);
    expectErrorEnvelope(await repo.kit(['frobnicate', '--json']), 2);
    expectErrorEnvelope(await repo.kit(['plan', '--feature', '../x', '--json']), 3);
    expectErrorEnvelope(await repo.kit(['check', '--feature', 'nope', '--json']), 3);
    expectErrorEnvelope(await repo.kit(['specify', 'x', '--slug', 'Bad Slug', '--json']), 3);
  });

  it('shows no stack trace unless DEBUG is set, and still the message when it is', async () => {
    const repo = repoWithFeature();
    const plain = await repo.kit(['plan', '--feature', 'nope']);
    expect(plain.exitCode).toBe(3);
    expect(plain.stderr).toMatch(/^error: no feature "nope"$/m);
    expect(plain.stderr).toMatch(/^hint: /m);
    expect(plain.stderr).not.toMatch(STACK_LINE);

    const debug = await repo.kit(['plan', '--feature', 'nope'], { env: { DEBUG: '1' } });
    expect(debug.exitCode).toBe(3);
    expect(debug.stderr).toMatch(/^error: no feature "nope"$/m);
  });

  // BUG: `--format json` is documented as the JSON output of kit check, but on a failure kit prints the
  // error as text on stderr and nothing on stdout, so a script reading stdout gets no document.
  it('kit check --format json prints the error envelope on stdout when the check cannot run', async () => {
    const repo = repoWithFeature();
    const run = await repo.kit(['check', '--format', 'json', '--feature', 'nope']);
    expect(run.exitCode).toBe(3);
    expect(run.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
  });

  // BUG: kit treats an unreadable spec.md (here a directory in its place) as an internal error (exit 70).
  it('a spec.md that is not a file is invalid input (exit 3), not an internal error', async () => {
    const repo = repoWithFeature();
    rmSync(join(repo.root, 'kitty-specs/001-x/spec.md'));
    repo.write('kitty-specs/001-x/spec.md/README', 'a directory, not a file\n');

    const run = await repo.kit(['plan']);
    expect(run.stderr).toContain('spec.md');
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.exitCode).toBe(3);
  });

  it('a flag without its value or a missing required flag is a usage error naming the flag, with its help', async () => {
    const repo = repoWithFeature();
    const before = repo.snapshot();
    for (const args of [
      ['move', 'WP01', '--to'],
      ['move', 'WP01'],
    ]) {
      const run = await repo.kit(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^error: (--to needs a value|missing required flag --to)$/m);
      expect(run.stderr).toMatch(/^hint: --to: The lane to move to/m);
      expect(run.stderr).not.toMatch(/internal error|this is a bug|The following error occurred/);
    }
    expectErrorEnvelope(await repo.kit(['move', 'WP01', '--json', '--to']), 2);
    expect(repo.snapshot()).toEqual(before);
  });

  it('a value an integer flag refuses is a usage error naming the flag and the value, not an internal error', async () => {
    const repo = repoWithFeature();
    for (const [value, reason] of [
      ['abc', 'expected an integer but received: abc'],
      ['99999', 'expected an integer less than or equal to 65535 but received: 99999'],
    ] as const) {
      const run = await repo.kit(['dashboard', '--no-open', '--port', value]);
      expect(run.exitCode, value).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^error: --port: ${reason}$`, 'm'));
      expect(run.stderr).toMatch(/^hint: --port: The port on 127\.0\.0\.1/m);
      expect(run.stderr).not.toMatch(/internal error|this is a bug/);
    }
    expectErrorEnvelope(await repo.kit(['dashboard', '--no-open', '--json', '--port', '-1']), 2);
  });

  it("kit help <command> shows that command's help; an unknown one is a usage error naming commands as typed", async () => {
    const repo = repoWithFeature();
    const help = await repo.kit(['help', 'move']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Move a work package to another lane.');
    expect(help.stdout).toContain('$ kit move');
    const nested = await repo.kit(['help', 'agents', 'add']);
    expect(nested.exitCode).toBe(0);
    expect(nested.stdout).toContain('$ kit agents add');
    const unknown = await repo.kit(['help', 'frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command "frobnicate"$/m);
    expect(unknown.stderr).toContain('agents add');
    expect(unknown.stderr).not.toContain('agents:add');
  });
});

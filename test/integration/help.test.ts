/**
 * Help printed into a pipe comes from dist/help/ (rendered by oclif at build time) without loading oclif.
 * It must say exactly what oclif says, for kit itself and for every command, in each of the ways to ask.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { kit, type KitRun } from '../helpers/repo.js';

/** Help needs no repository: kit runs in the temp dir. */
function runKitIn(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<KitRun> {
  return kit(args, { cwd, env });
}

const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
  commands: Record<string, unknown>;
};

describe('help into a pipe', () => {
  const cwd = tmpdir();

  it('is what oclif prints, for kit and for every command', async () => {
    const ids = ['', ...Object.keys(manifest.commands)];
    for (const id of ids) {
      const words = id ? id.split(':') : [];
      const fast = await runKitIn(cwd, [...words, '--help']);
      const oclif = await runKitIn(cwd, [...words, '--help'], { KIT_HELP_CACHE: '0' });
      expect(fast.exitCode, id).toBe(0);
      expect(oclif.exitCode, id).toBe(0);
      expect(fast.stdout, id || 'kit').toBe(oclif.stdout);
      expect(fast.stdout.length).toBeGreaterThan(100);
    }
  });

  it('answers kit help <command> the same way, with this Node version', async () => {
    const move = await runKitIn(cwd, ['move', '--help']);
    expect((await runKitIn(cwd, ['help', 'move'])).stdout).toBe(move.stdout);
    // Only what oclif answers with help is answered from the files: `-h` and `kit help kit` are not help.
    for (const args of [
      ['move', '-h'],
      ['help', 'kit'],
    ]) {
      const fast = await runKitIn(cwd, args);
      const oclif = await runKitIn(cwd, args, { KIT_HELP_CACHE: '0' });
      expect({ code: fast.exitCode, out: fast.stdout, err: fast.stderr }, args.join(' ')).toEqual({
        code: oclif.exitCode,
        out: oclif.stdout,
        err: oclif.stderr,
      });
      expect(fast.exitCode, args.join(' ')).toBe(2);
    }
    const root = await runKitIn(cwd, ['--help']);
    expect(root.stdout).toContain(`node-${process.version}`);
    expect(root.stdout).not.toContain('{{userAgent}}');
  });
});

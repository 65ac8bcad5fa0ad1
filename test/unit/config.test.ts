import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, kitVersion, readConfig, renderDefaultConfig } from '../../src/io/config.js';

const roots: string[] = [];
function rootWith(config: string | null): string {
  const root = mkdtempSync(join(tmpdir(), 'kit-config-'));
  roots.push(root);
  if (config !== null) {
    mkdirSync(join(root, '.kit'));
    writeFileSync(join(root, '.kit', 'config.yaml'), config);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('readConfig', () => {
  it('uses the defaults without a config file', async () => {
    expect(await readConfig(rootWith(null))).toEqual({ config: DEFAULT_CONFIG, file: null });
  });

  it('reads what kit init writes', async () => {
    const { config, file } = await readConfig(rootWith(renderDefaultConfig()));
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(file).toBe('.kit/config.yaml');
  });

  it('reads custom dirs and keeps unknown keys harmless', async () => {
    const { config } = await readConfig(rootWith('specsDir: planning/specs/\nfutureSetting: 1\n'));
    expect(config.specsDir).toBe('planning/specs');
  });

  it('refuses dirs that leave the repository', async () => {
    for (const bad of ['../elsewhere', '/abs', 'a/../../b', '.git/x', '', '   ']) {
      await expect(readConfig(rootWith(`specsDir: "${bad}"\n`)), bad).rejects.toThrow(/specsDir must be a directory/);
    }
  });

  it('says where the YAML is broken', async () => {
    await expect(readConfig(rootWith('specsDir: [a\nworktreesDir: x\n'))).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/^\.kit\/config\.yaml:\d+: not valid YAML/),
    });
  });

  it('refuses a config written by a newer major version of kit', async () => {
    const major = Number(kitVersion().split('.')[0]);
    await expect(readConfig(rootWith(`kitVersion: ${major + 1}.0.0\n`))).rejects.toThrow(/newer than this kit/);
    await expect(readConfig(rootWith(`kitVersion: ${kitVersion()}\n`))).resolves.toBeTruthy();
    await expect(readConfig(rootWith('kitVersion: banana\n'))).rejects.toThrow(/kitVersion must be a version/);
    await expect(readConfig(rootWith('commitLaneChanges: maybe\n'))).rejects.toThrow(/true or false/);
  });
});

describe('readConfig without a YAML library', () => {
  it('reads the flat file kit writes exactly as the YAML parser would', async () => {
    const YAML = await import('yaml');
    const texts = [
      renderDefaultConfig(),
      'specsDir: "specs dir"   # quoted, with a comment\ncommitLaneChanges: false\n',
      "worktreesDir: 'trees'\n\n# only a comment\n",
      '\ufeffspecsDir: planning\r\nworktreesDir: wt\r\n',
    ];
    for (const text of texts) {
      const fromYaml = YAML.parse(text.replace(/^\ufeff/, '')) as Record<string, unknown>;
      const { config } = await readConfig(rootWith(text));
      expect(config.specsDir, text).toBe((fromYaml.specsDir as string | undefined) ?? DEFAULT_CONFIG.specsDir);
      expect(config.worktreesDir, text).toBe(
        (fromYaml.worktreesDir as string | undefined) ?? DEFAULT_CONFIG.worktreesDir,
      );
      expect(config.commitLaneChanges, text).toBe(
        (fromYaml.commitLaneChanges as boolean | undefined) ?? DEFAULT_CONFIG.commitLaneChanges,
      );
    }
  });

  it('hands anything else to the YAML parser', async () => {
    const { config } = await readConfig(rootWith('specsDir: >-\n  folded\nworktreesDir: wt\n'));
    expect(config.specsDir).toBe('folded');
    await expect(readConfig(rootWith('specsDir: a\nspecsDir: b\n'))).rejects.toThrow(/not valid YAML/);
  });
});

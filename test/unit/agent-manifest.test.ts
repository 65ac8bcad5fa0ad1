import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/domain/agent-files.js';
import {
  changesSince,
  compareTemplateVersions,
  decideInstall,
  decideRemoval,
  emptyManifest,
  interpretAgentManifest,
  serializeAgentManifest,
} from '../../src/domain/agent-manifest.js';

const options = { force: false, forceHint: 'kit agents add claude --force' };
const kitFile = '.claude/commands/kit.plan.md';

describe('decideInstall', () => {
  it('creates a missing file, and leaves one that is already right alone', () => {
    expect(decideInstall({ path: kitFile, desired: 'new', current: null, recorded: null }, options)).toMatchObject({
      action: 'created',
      write: 'new',
      recordHash: contentHash('new'),
    });
    expect(decideInstall({ path: kitFile, desired: 'same', current: 'same', recorded: null }, options)).toMatchObject({
      action: 'unchanged',
      write: null,
      recordHash: contentHash('same'),
      warning: null,
    });
  });

  it("updates kit's own untouched file", () => {
    const decision = decideInstall(
      { path: kitFile, desired: 'v2', current: 'v1', recorded: contentHash('v1') },
      options,
    );
    expect(decision).toMatchObject({ action: 'updated', write: 'v2', recordHash: contentHash('v2'), warning: null });
  });

  it('keeps an edited file (recording the old hash) and a file kit never wrote (recording nothing), with warnings', () => {
    const edited = decideInstall(
      { path: kitFile, desired: 'v2', current: 'v1 + mine', recorded: contentHash('v1') },
      options,
    );
    expect(edited).toMatchObject({ action: 'kept', write: null, recordHash: contentHash('v1') });
    expect(edited.warning).toMatch(/was edited since kit wrote it; kept .*kit agents add claude --force/);
    const foreign = decideInstall({ path: kitFile, desired: 'v2', current: 'theirs', recorded: null }, options);
    expect(foreign).toMatchObject({ action: 'kept', write: null, recordHash: null });
    expect(foreign.warning).toMatch(/not written by kit/);
  });

  it('--force overwrites both', () => {
    const forced = { ...options, force: true };
    for (const recorded of [contentHash('v1'), null]) {
      expect(decideInstall({ path: kitFile, desired: 'v2', current: 'mine', recorded }, forced)).toMatchObject({
        action: 'overwritten',
        write: 'v2',
        recordHash: contentHash('v2'),
        warning: null,
      });
    }
  });
});

describe('decideRemoval', () => {
  it("deletes kit's untouched file, keeps an edited one unless --force, and is fine with a missing one", () => {
    const recorded = contentHash('v1');
    expect(decideRemoval({ path: kitFile, current: 'v1', recorded }, options)).toMatchObject({
      action: 'removed',
      remove: true,
    });
    const edited = decideRemoval({ path: kitFile, current: 'mine', recorded }, options);
    expect(edited).toMatchObject({ action: 'kept', remove: false });
    expect(edited.warning).toMatch(/it is yours now/);
    expect(decideRemoval({ path: kitFile, current: 'mine', recorded }, { ...options, force: true })).toMatchObject({
      action: 'removed',
      remove: true,
    });
    expect(decideRemoval({ path: kitFile, current: null, recorded }, options)).toMatchObject({
      action: 'removed',
      remove: false,
    });
  });
});

describe('the manifest document', () => {
  it('round-trips, sorted, so the same install serializes to the same bytes', () => {
    const manifest = emptyManifest('0.1.0');
    manifest.agents.codex = {
      templateVersion: '1.0.0',
      files: [
        { path: '.agents/skills/kit-plan/SKILL.md', sha256: contentHash('b') },
        { path: '.agents/skills/kit-implement/SKILL.md', sha256: contentHash('a') },
      ],
    };
    manifest.agents.claude = { templateVersion: '1.0.0', files: [{ path: kitFile, sha256: contentHash('c') }] };
    manifest.sections['AGENTS.md'] = { sha256: contentHash('s'), createdFile: true };
    const text = serializeAgentManifest(manifest);
    expect(Object.keys(JSON.parse(text).agents)).toEqual(['claude', 'codex']);
    const read = interpretAgentManifest(JSON.parse(text));
    expect(typeof read).not.toBe('string');
    expect(serializeAgentManifest(read as ReturnType<typeof emptyManifest>)).toBe(text);
  });

  it('refuses paths that leave the repository, unknown agents, bad hashes and newer schemas', () => {
    const valid = (files: unknown[]) => ({
      schemaVersion: 1,
      kitVersion: '0.1.0',
      agents: { claude: { templateVersion: '1.0.0', files } },
      sections: {},
    });
    const sha256 = contentHash('x');
    expect(interpretAgentManifest(valid([{ path: '../outside.md', sha256 }]))).toMatch(/not a path inside/);
    expect(interpretAgentManifest(valid([{ path: '/etc/passwd', sha256 }]))).toMatch(/not a path inside/);
    expect(interpretAgentManifest(valid([{ path: 'a/../../b', sha256 }]))).toMatch(/not a path inside/);
    expect(interpretAgentManifest(valid([{ path: kitFile, sha256: 'abc' }]))).toMatch(/not a SHA-256/);
    expect(interpretAgentManifest({ ...valid([]), agents: { windsurf: {} } })).toMatch(/not an agent kit knows/);
    expect(interpretAgentManifest({ ...valid([]), schemaVersion: 2 })).toMatch(/newer kit/);
    expect(interpretAgentManifest([])).toMatch(/JSON object/);
  });
});

describe('template versions', () => {
  it('compare numerically and list the changes after the installed version up to the current one', () => {
    expect(compareTemplateVersions('1.10.0', '1.9.3')).toBe(1);
    expect(compareTemplateVersions('1.0.0', '1.0.0')).toBe(0);
    const changes = [
      { version: '1.2.0', summary: 'c' },
      { version: '1.0.0', summary: 'a' },
      { version: '1.1.0', summary: 'b' },
    ];
    expect(changesSince(changes, '1.0.0', '1.2.0').map((change) => change.summary)).toEqual(['b', 'c']);
    expect(changesSince(changes, null, '1.1.0').map((change) => change.summary)).toEqual(['a', 'b']);
  });
});

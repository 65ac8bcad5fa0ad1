import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { commitFile, expectSuccess, makeFeatureRepo, tipOf } from '../helpers/lanes.js';
import { makeRepo, makeTempDir, resultOf, STACK_LINE, type TempRepo } from '../helpers/repo.js';

const AGENTS = ['claude', 'codex', 'gemini', 'cursor', 'copilot', 'opencode'] as const;
const STEPS = ['specify', 'plan', 'tasks', 'implement', 'review', 'merge', 'status'] as const;

const EXPECTED_PATH: Record<(typeof AGENTS)[number], (step: string) => string> = {
  claude: (step) => `.claude/commands/kit.${step}.md`,
  codex: (step) => `.agents/skills/kit-${step}/SKILL.md`,
  gemini: (step) => `.gemini/commands/kit.${step}.toml`,
  cursor: (step) => `.cursor/commands/kit.${step}.md`,
  copilot: (step) => `.github/prompts/kit.${step}.prompt.md`,
  opencode: (step) => `.opencode/commands/kit.${step}.md`,
};

interface FileReport {
  path: string;
  action: string;
}

interface AgentsResultJson {
  root: string;
  manifest: { file: string; action: string };
  templateVersion: string;
  agents: {
    name: string;
    previousTemplateVersion: string | null;
    templateVersion: string;
    upgrade: { from: string; to: string; changes: { version: string; summary: string }[] } | null;
    files: FileReport[];
  }[];
  sections: FileReport[];
  notInstalled: string[];
  changedPaths: string[];
  warnings: string[];
}

interface ManifestJson {
  schemaVersion: number;
  kitVersion: string;
  agents: Record<string, { templateVersion: string; files: { path: string; sha256: string }[] }>;
  sections: Record<string, { sha256: string; createdFile: boolean }>;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function manifestOf(repo: TempRepo): ManifestJson {
  return JSON.parse(repo.read('.kit/agents.json')) as ManifestJson;
}

/** The frontmatter data of a Markdown command file, parsed with `yaml`. */
function frontmatterData(text: string): Record<string, unknown> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match?.[1]) throw new Error(`no frontmatter in:\n${text.slice(0, 200)}`);
  return parseYaml(match[1]) as Record<string, unknown>;
}

/** Files only in `after`, only in `before`, and in both with different content. */
function diffSnapshots(before: Record<string, string>, after: Record<string, string>) {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return {
    added: keys.filter((key) => !(key in before)),
    removed: keys.filter((key) => !(key in after)),
    changed: keys.filter((key) => key in before && key in after && before[key] !== after[key]),
  };
}

describe('kit init --agent and kit agents add', () => {
  it.each(AGENTS)('%s: writes one valid command file per step and records each in the manifest', async (agent) => {
    const repo = makeRepo();

    const run = await repo.kit(['init', '--agent', agent, '--json']);

    expectSuccess(run);
    const result = resultOf<{ agents: AgentsResultJson }>(run).agents;
    const expected = STEPS.map((step) => EXPECTED_PATH[agent](step));
    expect(result.agents).toHaveLength(1);
    expect(result.agents[0]?.files).toEqual(expected.map((path) => ({ path, action: 'created' })));
    for (const [index, path] of expected.entries()) {
      const step = STEPS[index] ?? 'specify';
      const text = repo.read(path);
      if (agent === 'gemini') {
        const toml = parseToml(text) as Record<string, unknown>;
        expect(typeof toml.description).toBe('string');
        expect(toml.prompt).toContain('{{args}}');
      } else if (agent === 'cursor') {
        expect(text).toMatch(/^<!-- Installed by kit/);
        expect(text).toMatch(/^# kit /m);
      } else {
        const data = frontmatterData(text);
        expect(typeof data.description).toBe('string');
        if (agent === 'codex') expect(data.name).toBe(`kit-${step}`);
        if (agent === 'claude' || agent === 'copilot') expect(typeof data['argument-hint']).toBe('string');
      }
      // Every step file points at kit's real commands.
      expect(text).toMatch(/\bkit (specify|plan|tasks|next|implement|move|review|merge|status|prompt|check)\b/);
    }
    const manifest = manifestOf(repo);
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.agents[agent]?.templateVersion).toBe(result.templateVersion);
    expect(manifest.agents[agent]?.files.map((file) => file.path).sort()).toEqual([...expected].sort());
    for (const file of manifest.agents[agent]?.files ?? []) expect(file.sha256).toBe(sha256(repo.read(file.path)));
    expect(repo.read('AGENTS.md')).toContain('<!-- kit:agents:begin');
    expect(repo.exists('CLAUDE.md')).toBe(agent === 'claude');
  });

  it('is a no-op the second time, for every agent: byte-identical files, every file reported unchanged', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['init', ...AGENTS.flatMap((agent) => ['--agent', agent])]));
    const before = repo.snapshot();

    const again = await repo.kit(['agents', 'add', ...AGENTS, '--json']);

    expectSuccess(again);
    const result = resultOf<AgentsResultJson>(again);
    expect(repo.snapshot()).toEqual(before);
    expect(result.agents.map((agent) => agent.name)).toEqual([...AGENTS]);
    expect(result.agents.flatMap((agent) => agent.files.map((file) => file.action))).toEqual(
      Array(STEPS.length * AGENTS.length).fill('unchanged'),
    );
    expect(result.sections).toEqual([
      { path: 'AGENTS.md', action: 'unchanged' },
      { path: 'CLAUDE.md', action: 'unchanged' },
    ]);
    expect(result.manifest.action).toBe('unchanged');
    expect(result.changedPaths).toEqual([]);
    expect(again.stderr).toBe('');
    // kit init again, with or without agents, changes nothing either.
    expectSuccess(await repo.kit(['init', '--agent', 'gemini']));
    expectSuccess(await repo.kit(['init']));
    expect(repo.snapshot()).toEqual(before);
    const human = await repo.kit(['agents', 'add', 'claude']);
    expect(human.stdout).toMatch(/unchanged\s+\.claude\/commands\/kit\.plan\.md/);
    expect(human.stdout).toMatch(/Nothing changed\./);
  });

  it('keeps a file the user edited (with a warning), updates the rest, and replaces it with --force', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['agents', 'add', 'claude']));
    const edited = `${repo.read('.claude/commands/kit.plan.md')}\nAlso read docs/architecture.md first.\n`;
    repo.write('.claude/commands/kit.plan.md', edited);
    const recorded = manifestOf(repo).agents.claude?.files.find((file) => file.path.endsWith('kit.plan.md'));

    const kept = await repo.kit(['agents', 'add', 'claude']);

    expectSuccess(kept);
    expect(kept.stderr).toMatch(/^warning: \.claude\/commands\/kit\.plan\.md was edited since kit wrote it; kept/m);
    expect(kept.stderr).toMatch(/kit agents add claude --force/);
    expect(kept.stdout).toMatch(/kept\s+\.claude\/commands\/kit\.plan\.md/);
    expect(repo.read('.claude/commands/kit.plan.md')).toBe(edited);
    // The manifest still holds kit's hash, so the file stays recognisably edited.
    expect(manifestOf(repo).agents.claude?.files.find((file) => file.path.endsWith('kit.plan.md'))).toEqual(recorded);
    const listed = resultOf<{ agents: { name: string; files: { path: string; state: string }[] }[] }>(
      await repo.kit(['agents', 'list', '--json']),
    );
    expect(listed.agents.find((agent) => agent.name === 'claude')?.files).toContainEqual({
      path: '.claude/commands/kit.plan.md',
      state: 'edited',
    });

    const forced = await repo.kit(['agents', 'add', 'claude', '--force', '--json']);

    expectSuccess(forced);
    expect(resultOf<AgentsResultJson>(forced).agents[0]?.files).toContainEqual({
      path: '.claude/commands/kit.plan.md',
      action: 'overwritten',
    });
    expect(repo.read('.claude/commands/kit.plan.md')).not.toContain('architecture.md');
    const file = manifestOf(repo).agents.claude?.files.find((entry) => entry.path.endsWith('kit.plan.md'));
    expect(file?.sha256).toBe(sha256(repo.read('.claude/commands/kit.plan.md')));
  });

  it('never overwrites a file it did not write, even at its own path, without --force', async () => {
    const repo = makeRepo();
    repo.write('.cursor/commands/kit.status.md', 'My own status command.\n');

    const run = await repo.kit(['agents', 'add', 'cursor', '--json']);

    expectSuccess(run);
    expect(repo.read('.cursor/commands/kit.status.md')).toBe('My own status command.\n');
    const result = resultOf<AgentsResultJson>(run);
    expect(result.agents[0]?.files).toContainEqual({ path: '.cursor/commands/kit.status.md', action: 'kept' });
    expect(result.warnings.join('\n')).toMatch(/kit\.status\.md exists and was not written by kit/);
    // Not kit's, so not in the manifest, so never deleted by remove.
    expect(manifestOf(repo).agents.cursor?.files.map((file) => file.path)).not.toContain(
      '.cursor/commands/kit.status.md',
    );
    expectSuccess(await repo.kit(['agents', 'remove', 'cursor']));
    expect(repo.read('.cursor/commands/kit.status.md')).toBe('My own status command.\n');
  });

  it('adds its section to an existing AGENTS.md without touching a byte outside the markers', async () => {
    const repo = makeRepo();
    const head = '# Our agents\r\n\r\nUse pnpm, never npm.\r\n';
    repo.write('AGENTS.md', head);

    expectSuccess(await repo.kit(['agents', 'add', 'codex']));
    const withSection = repo.read('AGENTS.md');
    expect(withSection.startsWith(head)).toBe(true);
    expect(withSection).toMatch(/<!-- kit:agents:begin[^\n]*\r\n## kit workflow\r\n/);
    // The user adds more below kit's section; kit's next update keeps it.
    repo.write('AGENTS.md', `${withSection}\r\n## Testing\r\n\r\nRun pnpm test.\r\n`);
    const edited = repo.read('AGENTS.md');
    expectSuccess(await repo.kit(['agents', 'add', 'codex', 'gemini']));
    expect(repo.read('AGENTS.md')).toBe(edited);

    expectSuccess(await repo.kit(['agents', 'remove', 'codex', 'gemini']));
    expect(repo.read('AGENTS.md')).toBe(`${head}\r\n## Testing\r\n\r\nRun pnpm test.\r\n`);
  });

  it('writes through CLAUDE.md when it is a link to AGENTS.md, keeping the link', async () => {
    const repo = makeRepo();
    repo.write('AGENTS.md', '# Shared instructions\n');
    symlinkSync('AGENTS.md', join(repo.root, 'CLAUDE.md'));

    expectSuccess(await repo.kit(['agents', 'add', 'claude']));

    expect(lstatSync(join(repo.root, 'CLAUDE.md')).isSymbolicLink()).toBe(true);
    expect(repo.read('AGENTS.md').match(/kit:agents:begin/g)).toHaveLength(1);
    expectSuccess(await repo.kit(['agents', 'remove', 'claude']));
    expect(lstatSync(join(repo.root, 'CLAUDE.md')).isSymbolicLink()).toBe(true);
    expect(repo.read('AGENTS.md')).toBe('# Shared instructions\n');
  });

  it('reports an upgrade from older templates: what changed, and which files it updated', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['agents', 'add', 'gemini']));
    // Simulate an install from templates 0.9.0: older text in one file, with that text's hash recorded.
    const path = '.gemini/commands/kit.review.toml';
    const older = repo.read(path).replace('kit review WP02 --approve', 'kit move WP02 --to done');
    repo.write(path, older);
    const manifest = manifestOf(repo);
    const agent = manifest.agents.gemini;
    if (!agent) throw new Error('gemini is not in the manifest');
    agent.templateVersion = '0.9.0';
    for (const file of agent.files) if (file.path === path) file.sha256 = sha256(older);
    repo.write('.kit/agents.json', `${JSON.stringify(manifest, null, 2)}\n`);

    const run = await repo.kit(['agents', 'add', 'gemini', '--json']);

    expectSuccess(run);
    const result = resultOf<AgentsResultJson>(run);
    const report = result.agents[0];
    expect(report?.upgrade).toMatchObject({ from: '0.9.0', to: result.templateVersion });
    expect(report?.upgrade?.changes.map((change) => change.version)).toContain(result.templateVersion);
    expect(report?.files.filter((file) => file.action === 'updated')).toEqual([{ path, action: 'updated' }]);
    expect(repo.read(path)).toContain('kit review WP02 --approve');
    expect(manifestOf(repo).agents.gemini?.templateVersion).toBe(result.templateVersion);
    const human = await repo.kit(['agents', 'list']);
    expect(human.stdout).toMatch(/gemini\s+Gemini CLI: templates \d+\.\d+\.\d+; 7 files/);

    // The same, in words.
    agent.templateVersion = '0.9.0';
    repo.write('.kit/agents.json', `${JSON.stringify(manifest, null, 2)}\n`);
    repo.write(path, older);
    const text = await repo.kit(['agents', 'add', 'gemini']);
    expect(text.stdout).toMatch(/Gemini CLI \(gemini\): agent templates 0\.9\.0 → \d+\.\d+\.\d+/);
    expect(text.stdout).toMatch(/what changed in \d+\.\d+\.\d+: /);
    expect(text.stdout).toMatch(/updated\s+\.gemini\/commands\/kit\.review\.toml/);
  });

  it('refuses files from newer templates than its own (exit 3) unless --force', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['agents', 'add', 'codex']));
    const manifest = manifestOf(repo);
    const agent = manifest.agents.codex;
    if (!agent) throw new Error('codex is not in the manifest');
    agent.templateVersion = '99.0.0';
    repo.write('.kit/agents.json', `${JSON.stringify(manifest, null, 2)}\n`);
    const before = repo.snapshot();

    const refused = await repo.kit(['agents', 'add', 'codex']);

    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/agent templates 99\.0\.0, newer than this kit's/);
    expect(repo.snapshot()).toEqual(before);
    expectSuccess(await repo.kit(['agents', 'add', 'codex', '--force']));
    expect(manifestOf(repo).agents.codex?.templateVersion).not.toBe('99.0.0');
  });

  it('writes into the main checkout when run from a WP worktree', async () => {
    const fx = await makeFeatureRepo();
    const run = await fx.repo.kit(['implement', 'WP01']);
    expectSuccess(run);
    const worktree = run.stdout.trim();

    expectSuccess(await fx.repo.kit(['agents', 'add', 'opencode'], { cwd: '.worktrees/001-x-WP01' }));

    expect(fx.repo.exists('.opencode/commands/kit.implement.md')).toBe(true);
    expect(fx.repo.exists('.kit/agents.json')).toBe(true);
    expect(fx.repo.git(['status', '--porcelain'], '.worktrees/001-x-WP01')).toBe('');
    expect(worktree).toBe(fx.worktreePath('WP01'));
  });
});

describe('kit agents remove', () => {
  it('deletes exactly the files in the manifest, the section and the manifest, and nothing else', async () => {
    const repo = makeRepo();
    const clean = repo.snapshot();
    expectSuccess(await repo.kit(['init']));
    const initialized = repo.snapshot();
    expectSuccess(await repo.kit(['agents', 'add', 'claude', 'copilot']));
    const manifest = manifestOf(repo);
    const installed = repo.snapshot();
    // Someone else's prompt file next to kit's stays.
    repo.write('.github/prompts/deploy.prompt.md', 'Deploy it.\n');

    const first = await repo.kit(['agents', 'remove', 'copilot', '--json']);

    expectSuccess(first);
    const gone = diffSnapshots(installed, repo.snapshot());
    expect(gone.changed).toEqual(['.kit/agents.json']);
    expect(gone.removed.filter((path) => !path.endsWith('/'))).toEqual(
      (manifest.agents.copilot?.files.map((file) => file.path) ?? []).sort(),
    );
    expect(repo.read('.github/prompts/deploy.prompt.md')).toBe('Deploy it.\n');
    expect(Object.keys(manifestOf(repo).agents)).toEqual(['claude']);

    const second = await repo.kit(['agents', 'remove', 'claude', '--json']);

    expectSuccess(second);
    const result = resultOf<AgentsResultJson>(second);
    expect(result.sections).toEqual([
      { path: 'AGENTS.md', action: 'removed' },
      { path: 'CLAUDE.md', action: 'removed' },
    ]);
    expect(result.manifest.action).toBe('removed');
    // Back to the state before any agent: kit created AGENTS.md and CLAUDE.md, so they go too.
    repo.write('.github/prompts/deploy.prompt.md', 'Deploy it.\n');
    const after = repo.snapshot();
    expect(diffSnapshots(initialized, after)).toEqual({
      added: ['.github/', '.github/prompts/', '.github/prompts/deploy.prompt.md'],
      removed: [],
      changed: [],
    });
    expect(Object.keys(clean).every((path) => path in after)).toBe(true);
  });

  it('keeps a file the user edited unless --force, and says so', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['agents', 'add', 'opencode']));
    repo.write('.opencode/commands/kit.status.md', 'mine now\n');

    const run = await repo.kit(['agents', 'remove', 'opencode']);

    expectSuccess(run);
    expect(run.stderr).toMatch(/kit\.status\.md was edited since kit wrote it; kept/);
    expect(repo.read('.opencode/commands/kit.status.md')).toBe('mine now\n');
    expect(repo.exists('.opencode/commands/kit.plan.md')).toBe(false);
  });

  it('reports an agent that is not installed, and changes nothing', async () => {
    const repo = makeRepo();
    const before = repo.snapshot();
    const run = await repo.kit(['agents', 'remove', 'cursor', '--json']);
    expectSuccess(run);
    expect(resultOf<AgentsResultJson>(run).notInstalled).toEqual(['cursor']);
    expect(repo.snapshot()).toEqual(before);
  });
});

describe('kit agents: bad input', () => {
  it('refuses an unknown agent (exit 3, listing the known ones) and writes nothing', async () => {
    const repo = makeRepo();
    const before = repo.snapshot();
    for (const args of [
      ['agents', 'add', 'windsurf'],
      ['init', '--agent', 'claude', '--agent', 'windsurf'],
      ['agents', 'remove', 'windsurf'],
    ]) {
      const run = await repo.kit(args);
      expect(run.exitCode, args.join(' ')).toBe(3);
      expect(run.stderr).toMatch(/^error: "windsurf" is not an agent kit knows$/m);
      expect(run.stderr).toMatch(/^hint: known agents: claude, codex, gemini, cursor, copilot, opencode$/m);
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(repo.snapshot()).toEqual(before);
    }
    const json = await repo.kit(['agents', 'add', 'windsurf', '--json']);
    expect(json.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
  });

  it('refuses path-like names without touching the file system outside the repository', async () => {
    const repo = makeRepo();
    const before = repo.snapshot();
    for (const name of ['../claude', '.claude', 'claude/../../x', '/tmp/claude']) {
      const run = await repo.kit(['agents', 'add', name]);
      expect(run.exitCode, name).toBe(3);
      expect(run.stderr).toMatch(/is not an agent kit knows/);
    }
    expect(repo.snapshot()).toEqual(before);
  });

  it('refuses to write through a directory link that leads out of the repository', async () => {
    const repo = makeRepo();
    const outside = makeTempDir('kit-outside-');
    symlinkSync(outside, join(repo.root, '.claude'));

    const run = await repo.kit(['agents', 'add', 'claude']);

    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/leads out of the repository through a symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses an AGENTS.md with half a kit section before writing anything', async () => {
    const repo = makeRepo();
    repo.write('AGENTS.md', '# Ours\n\n<!-- kit:agents:begin (managed by kit) -->\nhalf\n');
    const before = repo.snapshot();

    const run = await repo.kit(['agents', 'add', 'codex']);

    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^error: AGENTS\.md:3: kit's section is damaged/m);
    expect(repo.snapshot()).toEqual(before);
  });

  it('refuses a damaged manifest, naming it, and writes nothing', async () => {
    const repo = makeRepo();
    repo.write(
      '.kit/agents.json',
      '{ "schemaVersion": 1, "agents": { "claude": { "templateVersion": "1.0.0", "files": [{ "path": "../../etc/passwd", "sha256": "x" }] } } }\n',
    );
    const before = repo.snapshot();
    const run = await repo.kit(['agents', 'remove', 'claude']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/\.kit\/agents\.json: .*not a path inside the repository/);
    expect(repo.snapshot()).toEqual(before);
  });

  it('needs at least one agent, and knows its flags (exit 2, usage)', async () => {
    const repo = makeRepo();
    expect((await repo.kit(['agents', 'add'])).exitCode).toBe(2);
    const unknown = await repo.kit(['agents', 'add', 'claude', '--forse']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Nonexistent flag: --forse/);
    expect(repo.exists('.claude')).toBe(false);
  });
});

describe('agent files are planning files', () => {
  it.each([
    ['.kit/agents.json', '{}\n'],
    ['.claude/commands/kit.implement.md', 'Do it differently.\n'],
    ['.agents/skills/kit-review/SKILL.md', '---\nname: kit-review\ndescription: x\n---\n'],
  ])('kit move refuses a WP branch that changes %s, naming it', async (path, content) => {
    const fx = await makeFeatureRepo();
    const run = await fx.repo.kit(['implement', 'WP01']);
    expectSuccess(run);
    const worktree = run.stdout.trim();
    commitFile(worktree, 'feature.txt', 'the work\n');
    fx.repo.write(`.worktrees/001-x-WP01/${path}`, content);
    fx.repo.git(['add', '--', path], '.worktrees/001-x-WP01');
    fx.repo.git(['commit', '-q', '-m', `Change ${path}`], '.worktrees/001-x-WP01');
    const before = tipOf(fx.repo, 'main');

    const move = await fx.repo.kit(['move', 'WP01', '--to', 'for_review']);

    expect(move.exitCode).toBe(3);
    expect(move.stderr).toContain(`changes planning files, which belong to main: ${path}`);
    expect(tipOf(fx.repo, 'main')).toBe(before);
  });

  it("does not mind a WP branch's own files that merely look similar", async () => {
    const fx = await makeFeatureRepo();
    const run = await fx.repo.kit(['implement', 'WP01']);
    expectSuccess(run);
    const worktree = run.stdout.trim();
    fx.repo.write('.worktrees/001-x-WP01/.claude/commands/deploy.md', 'Deploy.\n');
    fx.repo.write('.worktrees/001-x-WP01/docs/kit.md', 'About kit.\n');
    fx.repo.git(['add', '-A'], '.worktrees/001-x-WP01');
    fx.repo.git(['commit', '-q', '-m', 'Own files'], '.worktrees/001-x-WP01');
    expect(worktree).toBe(fx.worktreePath('WP01'));

    expectSuccess(await fx.repo.kit(['move', 'WP01', '--to', 'for_review']));
  });
});

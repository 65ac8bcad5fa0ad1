import { describe, expect, it } from 'vitest';
import {
  type CheckResultJson,
  makeRepo,
  type ProblemJson,
  resultOf,
  STACK_LINE,
  type TempRepo,
} from '../helpers/repo.js';

/** A WP file: work_package_id on line 2, title on 3, lane on 4, dependencies on 5. */
function wp(id: string, lane: string | null, dependencies: string[] = []): string {
  return [
    '---',
    `work_package_id: ${id}`,
    `title: Work package ${id}`,
    ...(lane === null ? [] : [`lane: ${lane}`]),
    `dependencies: [${dependencies.join(', ')}]`,
    '---',
    `# ${id}`,
    '',
    'Body text.',
    '',
  ].join('\n');
}

function repoWith(files: Record<string, string | Buffer>): TempRepo {
  const repo = makeRepo();
  for (const [path, content] of Object.entries(files)) repo.write(`kitty-specs/${path}`, content);
  return repo;
}

async function check(repo: TempRepo, args: string[] = []): Promise<{ exitCode: number; result: CheckResultJson }> {
  const run = await repo.kit(['check', '--json', ...args]);
  expect(run.stderr).toBe('');
  return { exitCode: run.exitCode, result: resultOf<CheckResultJson>(run) };
}

const brief = (p: ProblemJson) => ({ kind: p.kind, file: p.file, line: p.line });

describe('kit check: lanes', () => {
  it('exits 0 when every WP is done', async () => {
    const repo = repoWith({
      '001-a/tasks/WP01-one.md': wp('WP01', 'done'),
      '001-a/tasks/WP02-two.md': wp('WP02', 'done'),
    });
    const run = await repo.kit(['check']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/OK/);
    expect(run.stderr).toBe('');

    const json = await check(repo);
    expect(json.exitCode).toBe(0);
    expect(json.result.problems).toEqual([]);
    expect(json.result.features[0]?.workPackages.map((w) => `${w.id}:${w.lane}`)).toEqual(['WP01:done', 'WP02:done']);
  });

  for (const lane of ['doing', 'for_review', 'in_progress']) {
    it(`exits 1 while a WP is in ${lane}`, async () => {
      const repo = repoWith({
        '001-a/tasks/WP01-one.md': wp('WP01', 'done'),
        '001-a/tasks/WP02-two.md': wp('WP02', lane),
      });
      const run = await repo.kit(['check']);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain('kitty-specs/001-a/tasks/WP02-two.md:4');

      const { exitCode, result } = await check(repo);
      expect(exitCode).toBe(1);
      const shown = lane === 'in_progress' ? 'doing' : lane;
      expect(result.features[0]?.workPackages.find((w) => w.id === 'WP02')?.lane).toBe(shown);
      expect(result.problems).toEqual([
        {
          kind: 'unfinished',
          feature: '001-a',
          wp: 'WP02',
          file: 'kitty-specs/001-a/tasks/WP02-two.md',
          line: 4,
          message: expect.stringContaining(shown),
        },
      ]);
    });
  }

  it('passes a planned WP, and fails it with --strict', async () => {
    const repo = repoWith({ '001-a/tasks/WP01-one.md': wp('WP01', 'planned') });
    expect((await repo.kit(['check'])).exitCode).toBe(0);
    const strict = await check(repo, ['--strict']);
    expect(strict.exitCode).toBe(1);
    expect(strict.result.problems.map(brief)).toEqual([
      { kind: 'unfinished', file: 'kitty-specs/001-a/tasks/WP01-one.md', line: 4 },
    ]);
  });

  it('fails on a WP file it cannot place (in a folder of tasks/ that is no lane), never passing it over', async () => {
    const repo = repoWith({
      '001-a/tasks/WP01-one.md': wp('WP01', 'done'),
      '001-a/tasks/archive/WP02-two.md': wp('WP02', 'doing'),
      // Other files in such folders (a WP's review notes, say) are not WP files.
      '001-a/tasks/WP01-one/review-cycle-1.md': '# Review\n',
    });
    const { exitCode, result } = await check(repo);
    expect(exitCode).toBe(1);
    expect(result.problems.map(brief)).toEqual([
      { kind: 'lane', file: 'kitty-specs/001-a/tasks/archive/WP02-two.md', line: null },
    ]);
    expect(result.problems[0]?.message).toContain('tasks/archive/');
    expect(result.features[0]?.format).toBe('1.x');
  });
});

describe('kit check: output formats', () => {
  const files = {
    '001-a/tasks/WP01-one.md': wp('WP01', 'doing'),
    '001-a/tasks/WP02-two.md': wp('WP02', 'reviewing'),
    '001-a/tasks/WP03-three.md': wp('WP03', 'done', ['WP07']),
  };

  it('--format json and --json print the same {"ok": false, "result": {"problems": [...]}} document', async () => {
    const repo = repoWith(files);
    const viaFlag = await repo.kit(['check', '--json']);
    const viaFormat = await repo.kit(['check', '--format', 'json']);
    for (const run of [viaFlag, viaFormat]) {
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toBe('');
      expect(run.json?.ok).toBe(false);
    }
    expect(viaFormat.json).toEqual(viaFlag.json);
    const problems = resultOf<CheckResultJson>(viaFlag).problems;
    expect(problems).toHaveLength(3);
    for (const problem of problems) {
      expect(Object.keys(problem).sort()).toEqual(['feature', 'file', 'kind', 'line', 'message', 'wp']);
    }
    expect(problems.map((p) => [p.kind, p.wp, p.line])).toEqual([
      ['unfinished', 'WP01', 4],
      ['lane', 'WP02', 4],
      ['dependency', 'WP03', 5],
    ]);
  });

  it('--format github prints one ::error annotation per problem with file and line', async () => {
    const repo = repoWith(files);
    const problems = resultOf<CheckResultJson>(await repo.kit(['check', '--json'])).problems;
    const run = await repo.kit(['check', '--format', 'github']);
    expect(run.exitCode).toBe(1);
    const annotations = run.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toHaveLength(problems.length);
    for (const [index, problem] of problems.entries()) {
      const match = /^::error file=([^,:]+),line=(\d+)(?:,title=[^:]*)?::(.*)$/.exec(annotations[index] ?? '');
      expect(match, annotations[index]).not.toBeNull();
      expect(match?.[1]).toBe(problem.file);
      expect(Number(match?.[2])).toBe(problem.line);
      expect(match?.[3]).toBe(problem.message);
    }
  });
});

describe('kit check: invalid planning trees', () => {
  const tenMegabytes = `${wp('WP05', 'done')}${'x'.repeat(10 * 1024 * 1024)}\n`;
  const files: Record<string, string | Buffer> = {
    // Feature 001: files kit cannot read, or whose frontmatter is wrong.
    '001-files/tasks/WP01-bad-yaml.md': '---\nwork_package_id: WP01\nlane: done\ntitle: a: b\n---\nbody\n',
    '001-files/tasks/WP02-no-frontmatter.md': '# WP02\n\nJust Markdown.\n',
    '001-files/tasks/WP03-empty.md': '',
    '001-files/tasks/WP04-binary.md': Buffer.concat([Buffer.from(wp('WP04', 'done')), Buffer.from([0, 1, 2, 0])]),
    '001-files/tasks/WP05-huge.md': tenMegabytes,
    '001-files/tasks/WP06-no-lane.md': wp('WP06', null),
    '001-files/tasks/WP07-unknown-lane.md': wp('WP07', 'reviewing'),
    '001-files/tasks/WP08-in-progress.md': wp('WP08', 'in_progress'),
    '001-files/tasks/WP09-bad-id.md': wp('WP1', 'done'),
    '001-files/tasks/WP10-crlf.md': wp('WP10', 'for_review').replace(/\n/g, '\r\n'),
    '001-files/tasks/WP11-bom.md': `\ufeff${wp('WP11', 'doing')}`,
    // Feature 002: problems between WPs.
    '002-graph/tasks/WP01-one.md': wp('WP01', 'done'),
    '002-graph/tasks/WP01-again.md': wp('WP01', 'done'),
    '002-graph/tasks/WP02-missing-dep.md': wp('WP02', 'done', ['WP01', 'WP09']),
    '002-graph/tasks/WP03-cycle.md': wp('WP03', 'done', ['WP04']),
    '002-graph/tasks/WP04-cycle.md': wp('WP04', 'done', ['WP03']),
    // Feature 003: the older layout, where the folder is the lane.
    '003-old/tasks/done/WP01-mismatch.md': wp('WP01', 'planned'),
    '003-old/tasks/doing/WP02-agrees.md': wp('WP02', 'doing'),
    '003-old/tasks/planned/WP03-folder-only.md': wp('WP03', null),
  };
  const at = (path: string) => `kitty-specs/${path}`;

  it('reports each broken file with its file and line, without crashing', async () => {
    const repo = repoWith(files);
    const { exitCode, result } = await check(repo, ['--feature', '001']);
    expect(exitCode).toBe(1);
    expect(result.features.map((f) => f.id)).toEqual(['001-files']);
    const problems = result.problems;

    const noLane = problems.filter((p) => p.file === at('001-files/tasks/WP06-no-lane.md'));
    expect(noLane).toEqual([
      expect.objectContaining({ kind: 'lane', wp: 'WP06', message: expect.stringMatching(/lane/) }),
    ]);

    expect(problems.filter((p) => !noLane.includes(p)).map(brief)).toEqual([
      { kind: 'frontmatter', file: at('001-files/tasks/WP01-bad-yaml.md'), line: 4 },
      { kind: 'frontmatter', file: at('001-files/tasks/WP02-no-frontmatter.md'), line: 1 },
      { kind: 'frontmatter', file: at('001-files/tasks/WP03-empty.md'), line: 1 },
      { kind: 'file', file: at('001-files/tasks/WP04-binary.md'), line: null },
      { kind: 'file', file: at('001-files/tasks/WP05-huge.md'), line: null },
      { kind: 'lane', file: at('001-files/tasks/WP07-unknown-lane.md'), line: 4 },
      { kind: 'unfinished', file: at('001-files/tasks/WP08-in-progress.md'), line: 4 },
      { kind: 'wp-id', file: at('001-files/tasks/WP09-bad-id.md'), line: 2 },
      { kind: 'unfinished', file: at('001-files/tasks/WP10-crlf.md'), line: 4 },
      { kind: 'unfinished', file: at('001-files/tasks/WP11-bom.md'), line: 4 },
    ]);
    const message = (name: string) => problems.find((p) => p.file === at(`001-files/tasks/${name}`))?.message;
    expect(message('WP01-bad-yaml.md')).toMatch(/YAML/);
    expect(message('WP02-no-frontmatter.md')).toMatch(/frontmatter/);
    expect(message('WP03-empty.md')).toMatch(/empty/);
    expect(message('WP04-binary.md')).toMatch(/binary/);
    expect(message('WP05-huge.md')).toMatch(/too large/);
    expect(message('WP07-unknown-lane.md')).toContain('reviewing');
    expect(message('WP09-bad-id.md')).toContain('WP1');

    // in_progress counts as doing; CRLF and BOM files are read like any other.
    expect(result.features[0]?.workPackages.map((w) => `${w.id}:${w.lane}`)).toEqual([
      'WP08:doing',
      'WP10:for_review',
      'WP11:doing',
    ]);

    const text = await repo.kit(['check', '--feature', '001-files']);
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).not.toMatch(STACK_LINE);
    expect(text.stdout).toContain(`${at('001-files/tasks/WP07-unknown-lane.md')}:4: `);
    expect(text.stdout).toContain(at('001-files/tasks/WP05-huge.md'));
  });

  it('reports duplicate ids, missing dependencies and cycles', async () => {
    const repo = repoWith(files);
    const { exitCode, result } = await check(repo, ['--feature', 'graph']);
    expect(exitCode).toBe(1);
    expect(result.features.map((f) => f.id)).toEqual(['002-graph']);
    const problems = result.problems;
    expect(problems.map((p) => p.kind).sort()).toEqual(['cycle', 'dependency', 'duplicate-wp']);

    const duplicate = problems.find((p) => p.kind === 'duplicate-wp');
    expect([at('002-graph/tasks/WP01-one.md'), at('002-graph/tasks/WP01-again.md')]).toContain(duplicate?.file);
    expect(duplicate).toMatchObject({ wp: 'WP01', line: 2 });
    expect(duplicate?.message).toContain('WP01-one.md');
    expect(duplicate?.message).toContain('WP01-again.md');

    expect(problems.find((p) => p.kind === 'dependency')).toMatchObject({
      wp: 'WP02',
      file: at('002-graph/tasks/WP02-missing-dep.md'),
      line: 5,
      message: expect.stringContaining('WP09'),
    });

    const cycle = problems.find((p) => p.kind === 'cycle');
    expect([at('002-graph/tasks/WP03-cycle.md'), at('002-graph/tasks/WP04-cycle.md')]).toContain(cycle?.file);
    expect(cycle?.line).toBe(5);
    expect(cycle?.message).toMatch(/WP03.*WP04|WP04.*WP03/);
  });

  it('in the old lane-folder layout uses the folder lane and reports a folder/frontmatter mismatch', async () => {
    const repo = repoWith(files);
    const { exitCode, result } = await check(repo, ['--feature', '003-old']);
    expect(exitCode).toBe(1);
    expect(result.features).toHaveLength(1);
    expect(result.features[0]?.workPackages).toEqual([
      { id: 'WP01', lane: 'done', statusLane: null, file: at('003-old/tasks/done/WP01-mismatch.md') },
      { id: 'WP02', lane: 'doing', statusLane: null, file: at('003-old/tasks/doing/WP02-agrees.md') },
      { id: 'WP03', lane: 'planned', statusLane: null, file: at('003-old/tasks/planned/WP03-folder-only.md') },
    ]);
    expect(result.features[0]?.format).toBe('lane-folders');
    expect(result.problems.map(brief)).toEqual([
      { kind: 'unfinished', file: at('003-old/tasks/doing/WP02-agrees.md'), line: 4 },
      { kind: 'lane-mismatch', file: at('003-old/tasks/done/WP01-mismatch.md'), line: 4 },
    ]);
  });

  it('without --feature checks every feature', async () => {
    const repo = repoWith(files);
    const { exitCode, result } = await check(repo);
    expect(exitCode).toBe(1);
    expect(result.features.map((f) => f.id)).toEqual(['001-files', '002-graph', '003-old']);
    expect(new Set(result.problems.map((p) => p.feature))).toEqual(new Set(['001-files', '002-graph', '003-old']));
  });
});

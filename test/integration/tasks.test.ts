import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { frontmatterBlock, makeRepo, resultOf, STACK_LINE, type TempRepo, writeFeature } from '../helpers/repo.js';

interface TasksResultJson {
  feature: string;
  tasksFile: string;
  wroteTemplate: boolean;
  created: { id: string; file: string }[];
  updated: { id: string; file: string; fields: string[] }[];
  unchanged: { id: string; file: string }[];
  warnings: string[];
}

const FEATURE = 'kitty-specs/001-x';
const TASKS = `${FEATURE}/tasks.md`;

/** Several heading and dependency styles Spec Kitty users write. */
const TASKS_MD = [
  '# Tasks: X', //                                                    1
  '', //                                                              2
  '## WP01: Set up the parser', //                                    3
  '', //                                                              4
  '**Goal**: a parser.', //                                           5
  '', //                                                              6
  '**Depends on**: none', //                                          7
  '', //                                                              8
  '- [ ] T001 Write the lexer', //                                    9
  '- [ ] T002 [P] Write the grammar', //                              10
  '', //                                                              11
  '## Work Package WP02: Build the CLI (Priority: P1)', //            12
  '', //                                                              13
  '**Depends on**: WP01', //                                          14
  '', //                                                              15
  '- [ ] T003 Add the flags', //                                      16
  '', //                                                              17
  '## WP03: Write the docs', //                                       18
  '', //                                                              19
  'Dependencies: WP01 and WP02', //                                   20
  '', //                                                              21
  '- [ ] T004 Write the guide', //                                    22
  '- [x] T005 Review the guide', //                                   23
  '',
].join('\n');

const WP_FILES = {
  WP01: `${FEATURE}/tasks/WP01-set-up-the-parser.md`,
  WP02: `${FEATURE}/tasks/WP02-build-the-cli.md`,
  WP03: `${FEATURE}/tasks/WP03-write-the-docs.md`,
} as const;

function repoWithFeature(): TempRepo {
  const repo = makeRepo();
  writeFeature(repo, '001-x', 'The x feature');
  return repo;
}

async function syncTasks(repo: TempRepo): Promise<TasksResultJson> {
  const run = await repo.kit(['tasks', '--json']);
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  return resultOf<TasksResultJson>(run);
}

function frontmatter(repo: TempRepo, path: string): Record<string, unknown> {
  return parse(frontmatterBlock(repo.read(path))) as Record<string, unknown>;
}

function wpFiles(repo: TempRepo): string[] {
  const dir = join(repo.root, FEATURE, 'tasks');
  return repo.exists(`${FEATURE}/tasks`) ? readdirSync(dir).sort() : [];
}

/** Lines that differ between two versions of a file with the same number of lines. */
function changedLines(before: string, after: string): { line: number; before: string; after: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((text, index) =>
    text === b[index] ? [] : [{ line: index + 1, before: text, after: b[index] ?? '' }],
  );
}

describe('kit tasks', () => {
  it('without tasks.md writes the template and no WP file', async () => {
    const repo = repoWithFeature();

    const run = await repo.kit(['tasks', '--json']);
    expect(run.exitCode).toBe(0);
    expect(resultOf<TasksResultJson>(run)).toMatchObject({ feature: '001-x', tasksFile: TASKS, wroteTemplate: true });
    const template = repo.read(TASKS);
    expect(template).toMatch(/^## WP01: /m);
    expect(template).toContain('001-x');
    expect(template).toContain('The x feature');
    expect(template).not.toMatch(/\{\{\w+\}\}/);
    expect(wpFiles(repo)).toEqual([]);
  });

  it('creates one planned WP file per work package, with dependencies, subtasks and one history entry', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD);

    const result = await syncTasks(repo);
    expect(result.created).toEqual([
      { id: 'WP01', file: WP_FILES.WP01 },
      { id: 'WP02', file: WP_FILES.WP02 },
      { id: 'WP03', file: WP_FILES.WP03 },
    ]);
    expect(result.updated).toEqual([]);
    expect(wpFiles(repo)).toEqual(Object.values(WP_FILES).map((file) => file.split('/').pop()));

    const expected = {
      WP01: { title: 'Set up the parser', dependencies: [], subtasks: ['T001', 'T002'] },
      WP02: { title: 'Build the CLI', dependencies: ['WP01'], subtasks: ['T003'] },
      WP03: { title: 'Write the docs', dependencies: ['WP01', 'WP02'], subtasks: ['T004', 'T005'] },
    } as const;
    for (const [id, fields] of Object.entries(expected)) {
      const data = frontmatter(repo, WP_FILES[id as keyof typeof WP_FILES]);
      expect(data, id).toMatchObject({ work_package_id: id, lane: 'planned', ...fields });
      const history = data.history as Record<string, unknown>[];
      expect(history, id).toHaveLength(1);
      expect(history[0]).toMatchObject({ lane: 'planned' });
      expect(Number.isNaN(Date.parse(String(history[0]?.timestamp)))).toBe(false);
    }
    // The body carries the WP's own section of tasks.md, not its neighbours'.
    const body = repo.read(WP_FILES.WP02);
    expect(body).toContain('- [ ] T003 Add the flags');
    expect(body).not.toContain('T001 Write the lexer');
    expect(body).not.toContain('T004 Write the guide');

    const check = await repo.kit(['check', '--json']);
    expect(check.exitCode).toBe(0);
  });

  it('run again with no change writes nothing and reports every WP unchanged', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD);
    await syncTasks(repo);
    const before = repo.snapshot();

    const again = await syncTasks(repo);
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.unchanged.map((wp) => wp.id)).toEqual(['WP01', 'WP02', 'WP03']);
    expect(repo.snapshot()).toEqual(before);
  });

  it('after a title or dependency change edits only those lines, keeping lane, body and history', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD);
    await syncTasks(repo);
    // Someone started WP03 by hand.
    const started = repo.read(WP_FILES.WP03).replace(/^lane: planned$/m, 'lane: doing');
    repo.write(WP_FILES.WP03, started);
    const wp01 = repo.read(WP_FILES.WP01);

    repo.write(
      TASKS,
      TASKS_MD.replace('## WP03: Write the docs', '## WP03: Write the user guide').replace(
        'Dependencies: WP01 and WP02',
        'Dependencies: WP02',
      ),
    );
    const result = await syncTasks(repo);
    expect(result.created).toEqual([]);
    expect(result.updated).toEqual([{ id: 'WP03', file: WP_FILES.WP03, fields: ['title', 'dependencies'] }]);
    expect(result.unchanged.map((wp) => wp.id)).toEqual(['WP01', 'WP02']);

    const after = repo.read(WP_FILES.WP03);
    expect(changedLines(started, after)).toEqual([
      { line: 3, before: 'title: Write the docs', after: 'title: Write the user guide' },
      { line: 5, before: 'dependencies: [WP01, WP02]', after: 'dependencies: [WP02]' },
    ]);
    expect(frontmatter(repo, WP_FILES.WP03)).toMatchObject({ lane: 'doing', dependencies: ['WP02'] });
    expect(repo.read(WP_FILES.WP01)).toBe(wp01);
    // The file keeps its name: renaming would lose the history that points at it.
    expect(wpFiles(repo)).toHaveLength(3);
  });

  describe('refuses an invalid tasks.md (exit 3, names tasks.md and the line) and writes nothing', () => {
    const cases: { name: string; tasks: string; line: RegExp; message: RegExp }[] = [
      {
        name: 'unknown dependency',
        tasks: TASKS_MD.replace('Dependencies: WP01 and WP02', 'Dependencies: WP01 and WP09'),
        line: /tasks\.md:20\b/,
        message: /WP09/,
      },
      {
        name: 'duplicate WP id',
        tasks: `${TASKS_MD}\n## WP02: Another second package\n\nDepends on: none\n`,
        line: /tasks\.md:25\b/,
        message: /WP02.*(twice|duplicate)/i,
      },
      {
        name: 'dependency cycle',
        tasks: TASKS_MD.replace('**Depends on**: none', '**Depends on**: WP03'),
        // The cycle WP01 → WP03 → WP01 is reported at one of its headings or dependency lines.
        line: /tasks\.md:(3|7|18|20)\b/,
        message: /cycle.*WP01.*WP03|cycle.*WP03.*WP01/i,
      },
    ];
    for (const { name, tasks, line, message } of cases) {
      it(name, async () => {
        const repo = repoWithFeature();
        // Two WPs exist already; the broken tasks.md also renames WP01 and adds WP03.
        repo.write(TASKS, TASKS_MD.split('## WP03')[0] ?? '');
        const first = await syncTasks(repo);
        expect(first.created.map((wp) => wp.id)).toEqual(['WP01', 'WP02']);
        repo.write(TASKS, tasks.replace('## WP01: Set up the parser', '## WP01: Set up the new parser'));
        const before = repo.snapshot();

        const run = await repo.kit(['tasks']);
        expect(run.exitCode).toBe(3);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(line);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain(TASKS);
        expect(run.stderr).not.toMatch(STACK_LINE);
        expect(repo.snapshot()).toEqual(before);

        const json = await repo.kit(['tasks', '--json']);
        expect(json.exitCode).toBe(3);
        expect(json.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
        expect(json.json?.error?.message).toMatch(line);
        expect(repo.snapshot()).toEqual(before);
      });
    }
  });

  it('refuses to touch anything when a WP file that tasks.md lists has broken YAML frontmatter', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD.split('## WP03')[0] ?? '');
    await syncTasks(repo);
    repo.write(WP_FILES.WP02, '---\nwork_package_id: WP02\ntitle: a: b\nlane: doing\n---\nMy notes.\n');
    repo.write(TASKS, TASKS_MD.replace('## WP01: Set up the parser', '## WP01: Set up the new parser'));
    const before = repo.snapshot();

    const run = await repo.kit(['tasks']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain(`${WP_FILES.WP02}:3`);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(repo.snapshot()).toEqual(before);
  });

  // BUG: a listed WP whose file kit cannot interpret (here an unknown lane) is treated as a new WP.
  it('refuses to touch anything when a WP file that tasks.md lists has an unknown lane', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD.split('## WP03')[0] ?? '');
    await syncTasks(repo);
    repo.write(WP_FILES.WP02, repo.read(WP_FILES.WP02).replace(/^lane: planned$/m, 'lane: reviewing'));
    repo.write(TASKS, TASKS_MD.replace('## WP01: Set up the parser', '## WP01: Set up the new parser'));
    const before = repo.snapshot();

    const run = await repo.kit(['tasks']);
    expect(run.exitCode).toBe(3);
    expect(repo.snapshot()).toEqual(before);
    expect(run.stderr).toContain(WP_FILES.WP02);
    expect(run.stderr).toMatch(/lane/);
  });

  // BUG: same root cause; with a new title kit creates a second WP02 file next to the unreadable one.
  it('does not create a second file for a listed WP whose file has an unknown lane', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD.split('## WP03')[0] ?? '');
    await syncTasks(repo);
    repo.write(WP_FILES.WP02, repo.read(WP_FILES.WP02).replace(/^lane: planned$/m, 'lane: reviewing'));
    repo.write(TASKS, TASKS_MD.split('## WP03')[0]?.replace('Build the CLI', 'Build the command line') ?? '');

    const run = await repo.kit(['tasks']);
    expect(run.exitCode).toBe(3);
    expect(wpFiles(repo)).toEqual(['WP01-set-up-the-parser.md', 'WP02-build-the-cli.md']);
  });

  // BUG: the surgical title edit keeps the old plain style and writes `title: 2026-01-01`, which YAML reads
  // as a date, so the edit fails its own read-back check and kit exits 70 (internal error).
  it('renames a WP to a date-like title', async () => {
    const repo = repoWithFeature();
    repo.write(TASKS, TASKS_MD);
    await syncTasks(repo);
    repo.write(TASKS, TASKS_MD.replace('## Work Package WP02: Build the CLI (Priority: P1)', '## WP02: 2026-01-01'));

    const run = await repo.kit(['tasks', '--json']);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(resultOf<TasksResultJson>(run).updated).toEqual([{ id: 'WP02', file: WP_FILES.WP02, fields: ['title'] }]);
    expect(frontmatter(repo, WP_FILES.WP02).title).toBe('2026-01-01');
  });
});

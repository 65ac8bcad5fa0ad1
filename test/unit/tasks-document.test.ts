import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type PlannedWorkPackage, parseTasksDocument } from '../../src/domain/tasks-document.js';
import { CORPUS_DIR, corpusAvailable } from '../helpers/corpus.js';

const md = (...lines: string[]): string => lines.join('\n');

function depsOf(text: string): Record<string, string[]> {
  const doc = parseTasksDocument(text);
  return Object.fromEntries(doc.workPackages.map((wp) => [wp.id, wp.dependencies]));
}

function byId(text: string, id: string): PlannedWorkPackage {
  const wp = parseTasksDocument(text).workPackages.find((candidate) => candidate.id === id);
  if (!wp) throw new Error(`${id} not parsed`);
  return wp;
}

describe('parseTasksDocument: headings', () => {
  it.each([
    ['## WP01: Set up the project', 'Set up the project'],
    ['## WP01 - Set up the project', 'Set up the project'],
    ['## WP01 – Set up the project', 'Set up the project'],
    ['## WP01 — Set up the project', 'Set up the project'],
    ['### WP01: Set up the project', 'Set up the project'],
    ['## Work Package WP01: Set up the project (Priority: P1)', 'Set up the project'],
    ['### Work Package WP01 - Set up the project (Priority: P0) 🎯 Foundation', 'Set up the project'],
    ['## Work Package WP01: Extract Command (Priority: P1) — MVP', 'Extract Command'],
    ['## WP01: Set up the project ##', 'Set up the project'],
    ['## WP01: Add `kit status` — fast path', 'Add `kit status` — fast path'],
    ['## WP01: CLI Commands — Validate, Diff', 'CLI Commands — Validate, Diff'],
  ])('reads %s', (heading, title) => {
    const doc = parseTasksDocument(md('# Tasks', '', heading, '', 'Body'));
    expect(doc.problems).toEqual([]);
    expect(doc.workPackages).toEqual([{ id: 'WP01', title, dependencies: [], subtasks: [], line: 3 }]);
  });

  it('accepts three-digit ids', () => {
    const doc = parseTasksDocument(md('## WP100: Big feature', 'Depends on: WP099', '## WP099: Prior'));
    expect(doc.workPackages.map((wp) => wp.id)).toEqual(['WP100', 'WP099']);
    expect(doc.workPackages[0]?.dependencies).toEqual(['WP099']);
    expect(doc.problems).toEqual([]);
  });

  it('reports bad ids with their line and does not create a work package', () => {
    const doc = parseTasksDocument(
      md('# Tasks', '## WP1: Too short', 'Depends on: WP02', '## WP0001: Too long', '## WP02: Ok'),
    );
    expect(doc.workPackages.map((wp) => wp.id)).toEqual(['WP02']);
    expect(doc.problems).toHaveLength(2);
    expect(doc.problems[0]).toMatchObject({ line: 2, message: expect.stringContaining('bad WP id') });
    expect(doc.problems[1]).toMatchObject({ line: 4, message: expect.stringContaining('bad WP id') });
  });

  it('ignores level-1 headings and headings that merely mention work packages', () => {
    const doc = parseTasksDocument(
      md(
        '# WP01: Not a WP',
        '## Work Package Summary',
        '| WP02 | x |',
        '## Dependency & Execution Summary',
        'WP03 → WP04',
      ),
    );
    expect(doc).toEqual({ workPackages: [], problems: [] });
  });

  it('returns nothing for a document with no work packages', () => {
    expect(parseTasksDocument('')).toEqual({ workPackages: [], problems: [] });
    expect(parseTasksDocument(md('# Tasks', '', '- [ ] T001 orphan', 'Depends on: WP01'))).toEqual({
      workPackages: [],
      problems: [],
    });
  });

  it('reports duplicate ids at the second heading', () => {
    const doc = parseTasksDocument(md('## WP01: A', '## WP02: B', 'text', '## WP02: B again', 'Depends on: WP09'));
    expect(doc.workPackages.map((wp) => wp.id)).toEqual(['WP01', 'WP02']);
    expect(doc.problems).toEqual([{ line: 4, message: 'WP02 is defined twice (first at line 2)' }]);
  });

  it('sets the phase from an enclosing Phase heading', () => {
    const text = md(
      '# Tasks',
      '## Phase 1 - Setup',
      '### WP01: Scaffold',
      '#### Notes',
      '### WP02: Config',
      '## Phase 2: Core',
      '### Work Package WP03: Engine (Priority: P1)',
      '## Polish',
      '### WP04: Docs',
      '## WP05: Top level',
    );
    const phases = parseTasksDocument(text).workPackages.map((wp) => [wp.id, wp.phase]);
    expect(phases).toEqual([
      ['WP01', 'Phase 1 - Setup'],
      ['WP02', 'Phase 1 - Setup'],
      ['WP03', 'Phase 2: Core'],
      ['WP04', undefined],
      ['WP05', undefined],
    ]);
    expect('phase' in byId(text, 'WP04')).toBe(false);
  });
});

describe('parseTasksDocument: dependency lines', () => {
  it.each([
    ['Depends on: WP01, WP02', ['WP01', 'WP02']],
    ['**Depends on**: WP01', ['WP01']],
    ['**Depends on:** WP01', ['WP01']],
    ['Dependencies: WP01 and WP03', ['WP01', 'WP03']],
    ['**Dependencies**: WP01 (requires HealthCheckService class)', ['WP01']],
    ['- **Dependencies**: WP01', ['WP01']],
    ['* Depends on: `WP02`', ['WP02']],
    ['Depends on WP02 and WP01.', ['WP02', 'WP01']],
    ['Dependencies: None', []],
    ['Depends on: none', []],
    ['**Dependencies**: None (starting package)', []],
    ['Dependencies: N/A', []],
    ['Depends on: WP01, WP01, WP02', ['WP01', 'WP02']],
    ['Depends on: WP01; can run in parallel with WP02', ['WP01']],
    ['Depends on: WP01 but not WP02', ['WP01']],
    ['**Blocked by**: WP02', ['WP02']],
    ['Requires: WP03 merged first', ['WP03']],
    ['Depends on: `WP01`, `WP03`', ['WP01', 'WP03']],
  ])('reads %s', (line, expected) => {
    const text = md('## WP01: A', '## WP02: B', '## WP03: C', '## WP04: D', line, '## WP05: E');
    expect(byId(text, 'WP04').dependencies).toEqual(expected);
  });

  it.each([
    ['Depends on: WP01-03', ['WP01', 'WP02', 'WP03']],
    ['Depends on: WP01-WP03', ['WP01', 'WP02', 'WP03']],
    ['Depends on: WP01–WP05', ['WP01', 'WP02', 'WP03', 'WP04', 'WP05']],
    ['Depends on: WP01 — WP02', ['WP01', 'WP02']],
    ['Depends on: WP08-10, WP02', ['WP08', 'WP09', 'WP10', 'WP02']],
    ['Depends on: WP098-100', ['WP098', 'WP099', 'WP100']],
    ['Depends on all prior WPs (WP01-WP04)', ['WP01', 'WP02', 'WP03', 'WP04']],
  ])('expands the range in %s', (line, expected) => {
    const text = md('## WP11: Last', line);
    expect(byId(text, 'WP11').dependencies).toEqual(expected);
  });

  it('reports a backwards range', () => {
    const doc = parseTasksDocument(md('## WP01: A', 'Depends on: WP05-02'));
    expect(doc.workPackages[0]?.dependencies).toEqual([]);
    expect(doc.problems).toEqual([{ line: 2, message: 'bad WP range WP05-02' }]);
  });

  it('collects every dependency line in order of first mention', () => {
    const text = md(
      '## WP04: D',
      'Depends on: WP03',
      'Some text.',
      '**Dependencies**: WP01, WP03',
      '## WP01: A',
      '## WP03: C',
    );
    expect(byId(text, 'WP04').dependencies).toEqual(['WP03', 'WP01']);
  });

  it('does not take ids mentioned outside dependency lines', () => {
    const text = md(
      '## WP01: A',
      '## WP02: B',
      '## WP03: C',
      '**Prompt**: `tasks/WP01-scaffold.md`',
      '**Parallelizable**: Can work in parallel with WP02',
      'This package is parallel-safe with WP01.',
      'Blocks: WP05',
      'Enables WP04',
      '- T010 depends on T009',
      'Both WP01 and WP02 depend only on existing types.',
      '| WP01 | table row |',
      '## WP04: D',
      '## WP05: E',
    );
    expect(Object.values(depsOf(text)).flat()).toEqual([]);
    expect(parseTasksDocument(text).problems).toEqual([]);
  });

  it('reads a Dependencies sub-section of prose and lists', () => {
    const text = md(
      '## Work Package WP05: Tests (Priority: P2)',
      '',
      '### Included Subtasks',
      '- [ ] T001 Something about WP09',
      '',
      '### Dependencies',
      '- Depends on WP01 (requires `Types.fs`; WP01 stabilizes the shape before WP09 edits it) and WP02.',
      'Depends on WP03.',
      '- WP04 (for the fixtures)',
      '- Can be developed in parallel with WP06 and WP07 (both only depend on WP01).',
      '- Does NOT depend on WP08.',
      '- Cross-format roundtrip (T027) also needs WP10.',
      '- WP11 and WP12 can run in parallel.',
      '',
      '### Risks',
      '- WP13 is risky',
      '- Depends on WP14 to be reviewed',
    );
    expect(byId(text, 'WP05').dependencies).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP14']);
  });

  it.each([
    ['- None (starting package).'],
    ['- None (can run in parallel with WP01). Both WP01 and WP02 depend only on existing `Types.fs`.'],
    ['- None (independent module), but logically follows WP04 if both modify `Frank.Cli.Core`'],
    ['#### Dependencies placeholder'],
  ])('reads no dependency from the sub-section line %s', (line) => {
    const text = md('## WP01: A', '## WP02: B', '### Dependencies', line, '## WP04: D');
    expect(byId(text, 'WP02').dependencies).toEqual([]);
  });

  it('reads a #### Dependencies sub-section under a ### WP heading', () => {
    const text = md(
      '## Phase 1',
      '### WP02: B',
      '#### Dependencies',
      'Depends on WP01 (requires X) and WP03',
      '### WP01: A',
    );
    expect(byId(text, 'WP02').dependencies).toEqual(['WP01', 'WP03']);
  });

  it('reads a dependency label followed by a list', () => {
    const text = md('## WP03: C', '**Dependencies**:', '', '- WP01', '- WP02 (schema)', '', '- WP04 is next');
    expect(byId(text, 'WP03').dependencies).toEqual(['WP01', 'WP02']);
  });

  it('ends a section at a heading of the same or higher level', () => {
    const text = md(
      '## Setup',
      '### WP01: A',
      '## Notes',
      'Depends on: WP02',
      '### WP02: B',
      '#### Details',
      'Depends on: WP01',
    );
    expect(depsOf(text)).toEqual({ WP01: [], WP02: ['WP01'] });
  });

  it('ignores fenced code blocks for headings, dependencies and subtasks', () => {
    const text = md(
      '## WP01: A',
      '```markdown',
      '## WP09: Fake',
      'Depends on: WP02',
      '- [ ] T099 fake',
      '```',
      '~~~',
      'Depends on: WP03',
      '```',
      'still inside the tilde fence',
      '~~~',
      '   ```',
      '   Depends on: WP04',
      '   ```',
      '- [ ] T001 real',
      '## WP02: B',
      '````',
      '```',
      '## WP08: Fake',
      '````',
      'Depends on: WP01',
    );
    const doc = parseTasksDocument(text);
    expect(doc.workPackages.map((wp) => [wp.id, wp.dependencies, wp.subtasks])).toEqual([
      ['WP01', [], ['T001']],
      ['WP02', ['WP01'], []],
    ]);
    expect(doc.problems).toEqual([]);
  });

  it('treats a one-line ```x``` as inline code, not a fence', () => {
    const text = md('## WP01: A', '```inline```', 'Depends on: WP02', '## WP02: B');
    expect(byId(text, 'WP01').dependencies).toEqual(['WP02']);
  });

  it('honours fences indented under list items', () => {
    const text = md(
      '## WP01: A',
      '1. Step',
      '    ```',
      '    ## WP07: Fake',
      '    ```',
      'Depends on: WP02',
      '## WP02: B',
    );
    expect(depsOf(text)).toEqual({ WP01: ['WP02'], WP02: [] });
  });

  it('reports malformed ids on dependency lines', () => {
    const doc = parseTasksDocument(md('## WP01: A', '## WP02: B', 'Depends on: WP1, WP01'));
    expect(doc.workPackages[1]?.dependencies).toEqual(['WP01']);
    expect(doc.problems).toEqual([{ line: 3, message: expect.stringContaining('bad WP id WP1') }]);
  });

  it('ignores HTML comments', () => {
    const text = md(
      '<!--',
      '## WP09: Example',
      'Depends on: WP01',
      '-->',
      '## WP01: A <!-- note -->',
      'Depends on: <!-- WP02 --> none',
    );
    const doc = parseTasksDocument(text);
    expect(doc.workPackages).toEqual([{ id: 'WP01', title: 'A', dependencies: [], subtasks: [], line: 5 }]);
  });
});

describe('parseTasksDocument: subtasks', () => {
  it('collects checklist ids in order, de-duplicated', () => {
    const text = md(
      '## WP01: A',
      '- [ ] T001 Do x',
      '- [x] T002 Done thing',
      '* [ ] T003 Star bullet',
      '- [X] [P] T004 Parallel marker first',
      '- [ ] T005 [P] Parallel marker after',
      '- [ ] T006: Colon style',
      '  - [ ] **T007** Nested and bold',
      '- [ ] T001 Repeated',
      '- [ ] T014b Late insertion',
      '- T008 not a checklist',
      '- [ ] Something without an id',
      '- [ ] See T009 later in the text',
      '## WP02: B',
      '- [ ] T010 Other package',
    );
    expect(byId(text, 'WP01').subtasks).toEqual(['T001', 'T002', 'T003', 'T004', 'T005', 'T006', 'T007', 'T014b']);
    expect(byId(text, 'WP02').subtasks).toEqual(['T010']);
  });
});

describe('parseTasksDocument: problems', () => {
  it('reports dependencies on undefined work packages at the dependency line', () => {
    const doc = parseTasksDocument(md('## WP01: A', '', '## WP03: C', 'Depends on: WP01, WP09'));
    expect(doc.workPackages[1]?.dependencies).toEqual(['WP01', 'WP09']);
    expect(doc.problems).toEqual([{ line: 4, message: 'WP03 depends on WP09, which tasks.md does not define' }]);
  });

  it('reports a self-dependency and drops it', () => {
    const doc = parseTasksDocument(md('## WP01: A', '## WP02: B', 'Depends on: WP01, WP02'));
    expect(doc.workPackages[1]?.dependencies).toEqual(['WP01']);
    expect(doc.problems).toEqual([{ line: 3, message: 'WP02 depends on itself' }]);
  });

  it('reports cycles at the first work package heading', () => {
    const doc = parseTasksDocument(
      md(
        '# Tasks',
        '## WP02: B',
        'Depends on: WP03',
        '## WP01: A',
        'Depends on: WP02',
        '## WP03: C',
        'Depends on: WP01',
      ),
    );
    expect(doc.problems).toEqual([{ line: 4, message: 'dependency cycle: WP01 → WP02 → WP03 → WP01' }]);
  });

  it('reports a two-node cycle', () => {
    const doc = parseTasksDocument(md('## WP01: A', 'Depends on: WP02', '## WP02: B', 'Depends on: WP01'));
    expect(doc.problems).toEqual([{ line: 1, message: 'dependency cycle: WP01 → WP02 → WP01' }]);
  });

  it('orders problems by line', () => {
    const doc = parseTasksDocument(md('## WP01: A', 'Depends on: WP07', '## WP1: bad', '## WP01: again'));
    expect(doc.problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
  });
});

describe('parseTasksDocument: line endings', () => {
  const lf = md(
    '## WP01: A',
    'Depends on: none',
    '- [ ] T001 x',
    '',
    '## WP02: B',
    'Depends on: WP01, WP09',
    '- [ ] T002 y',
  );

  it('parses CRLF like LF', () => {
    expect(parseTasksDocument(lf.replaceAll('\n', '\r\n'))).toEqual(parseTasksDocument(lf));
  });

  it('parses a leading BOM like no BOM', () => {
    expect(parseTasksDocument(`\uFEFF${lf}`)).toEqual(parseTasksDocument(lf));
    expect(parseTasksDocument(`\uFEFF${lf.replaceAll('\n', '\r\n')}`)).toEqual(parseTasksDocument(lf));
  });

  it('keeps titles free of carriage returns', () => {
    const doc = parseTasksDocument('## WP01: A\r\n');
    expect(doc.workPackages[0]?.title).toBe('A');
    expect(parseTasksDocument(lf).problems).toEqual([
      { line: 6, message: 'WP02 depends on WP09, which tasks.md does not define' },
    ]);
  });
});

describe('templates/tasks.md', () => {
  it('yields exactly its two example work packages and no problems', () => {
    const template = readFileSync(new URL('../../templates/tasks.md', import.meta.url), 'utf8');
    const doc = parseTasksDocument(template);
    expect(doc.problems).toEqual([]);
    expect(doc.workPackages.map(({ id, dependencies, subtasks }) => ({ id, dependencies, subtasks }))).toEqual([
      { id: 'WP01', dependencies: [], subtasks: ['T001', 'T002'] },
      { id: 'WP02', dependencies: ['WP01'], subtasks: ['T003', 'T004'] },
    ]);
    expect(template).toContain('{{feature}}');
    expect(template).toContain('{{friendly_name}}');
  });
});

interface CorpusFeature {
  name: string;
  tasksMd: string;
  wpFiles: Map<string, string>;
}

function listWpFiles(dir: string, found = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listWpFiles(path, found);
    else if (/^WP\d+-.*\.md$/.test(entry.name)) found.set(entry.name.slice(0, entry.name.indexOf('-')), path);
  }
  return found;
}

function corpusFeatures(): CorpusFeature[] {
  if (!corpusAvailable) return [];
  const features: CorpusFeature[] = [];
  for (const repo of readdirSync(CORPUS_DIR).sort()) {
    for (const feature of readdirSync(join(CORPUS_DIR, repo)).sort()) {
      const tasksMd = join(CORPUS_DIR, repo, feature, 'tasks.md');
      if (!existsSync(tasksMd)) continue;
      features.push({
        name: `${repo}/${feature}`,
        tasksMd,
        wpFiles: listWpFiles(join(CORPUS_DIR, repo, feature, 'tasks')),
      });
    }
  }
  return features;
}

function frontmatterDependencies(path: string): string[] {
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(path, 'utf8'));
  const data = parseYaml(match?.[1] ?? '') as { dependencies?: unknown } | null;
  return Array.isArray(data?.dependencies) ? data.dependencies.map(String) : [];
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe.skipIf(!corpusAvailable)('real tasks.md files', () => {
  const features = corpusFeatures();
  const parse = (name: string) => {
    const feature = features.find((candidate) => candidate.name.endsWith(name));
    if (!feature) throw new Error(`corpus feature ${name} missing`);
    return { feature, doc: parseTasksDocument(readFileSync(feature.tasksMd, 'utf8')) };
  };
  const deps = (name: string) => Object.fromEntries(parse(name).doc.workPackages.map((wp) => [wp.id, wp.dependencies]));

  it('finds the corpus', () => {
    expect(features.length).toBeGreaterThan(20);
  });

  it('parses every file without throwing or reporting problems', () => {
    for (const feature of features) {
      const doc = parseTasksDocument(readFileSync(feature.tasksMd, 'utf8'));
      expect(doc.workPackages.length, feature.name).toBeGreaterThan(0);
      expect(doc.problems, feature.name).toEqual([]);
      for (const wp of doc.workPackages) expect(wp.subtasks.length, `${feature.name} ${wp.id}`).toBeGreaterThan(0);
    }
  });

  it('finds every frank-fs__frank work package that has a prompt file', () => {
    // 005 later grew WP09-WP12 as prompt files only; its tasks.md really stops at WP08.
    const promptOnly: Record<string, string[]> = {
      'frank-fs__frank/005-shacl-validation-from-fsharp-types': ['WP09', 'WP10', 'WP11', 'WP12'],
    };
    const frank = features.filter((feature) => feature.name.startsWith('frank-fs__frank/'));
    expect(frank.length).toBeGreaterThan(20);
    for (const feature of frank) {
      const parsed = parseTasksDocument(readFileSync(feature.tasksMd, 'utf8')).workPackages.map((wp) => wp.id);
      const expected = [...feature.wpFiles.keys()].filter((id) => !promptOnly[feature.name]?.includes(id));
      expect(expected.length, feature.name).toBeGreaterThan(0);
      for (const id of expected) expect(parsed, `${feature.name} ${id}`).toContain(id);
    }
    expect(deps('005-shacl-validation-from-fsharp-types')).not.toHaveProperty('WP09');
  });

  it('reads the bake-tracker system health check dependencies', () => {
    const { doc } = parse('kentonium3__bake-tracker__at-0c42cf2-lane-folders/001-system-health-check');
    expect(doc.workPackages.map((wp) => [wp.id, wp.line, wp.title, wp.dependencies])).toEqual([
      ['WP01', 34, 'Create Health Service Module Structure', []],
      ['WP02', 75, 'Implement Database Connectivity Testing', ['WP01']],
      ['WP03', 117, 'Implement Atomic File Writing', ['WP01']],
      ['WP04', 165, 'Integrate Health Service with Main Application', ['WP01', 'WP02', 'WP03']],
      ['WP05', 206, 'Add Version Reading from pyproject.toml', ['WP01']],
      ['WP06', 250, 'Unit Tests for Health Check Logic', ['WP01', 'WP02', 'WP03']],
      ['WP07', 295, 'Unit Tests for File I/O Operations', ['WP03']],
      ['WP08', 337, 'Integration Test for Full Health Check Cycle', ['WP01', 'WP02', 'WP03', 'WP04', 'WP05']],
      ['WP09', 383, 'Add Module Docstrings and Inline Comments', ['WP01', 'WP02', 'WP03', 'WP04', 'WP05']],
    ]);
    expect(doc.workPackages[0]?.subtasks).toEqual(['T001', 'T002', 'T003', 'T004', 'T005', 'T006', 'T007']);
    expect(doc.workPackages.every((wp) => wp.phase === undefined)).toBe(true);
  });

  it('reads the tricky Dependencies sub-sections of frank-fs__frank', () => {
    // "None (independent module), but logically follows WP04 ..."
    expect(deps('002-phase1-code-review-fixes').WP05).toEqual([]);
    // "Depends on all prior WPs (WP01-WP07)"
    expect(deps('005-shacl-validation-from-fsharp-types').WP08).toEqual([
      'WP01',
      'WP02',
      'WP03',
      'WP04',
      'WP05',
      'WP06',
      'WP07',
    ]);
    // "Depends on WP01 (shared `Types.fs` changes; WP01 stabilizes ... before WP02 modifies it further)"
    expect(deps('010-statecharts-production-readiness').WP02).toEqual(['WP01']);
    // A second "Depends on" line in the same sub-section.
    expect(deps('010-statecharts-production-readiness').WP05).toEqual(['WP04', 'WP01', 'WP02', 'WP03']);
    // "Cross-format roundtrip (T027) also needs WP03 (XML parser)." is a note, not a dependency line.
    expect(deps('011-alps-parser-generator').WP04).toEqual(['WP02']);
    // "Does NOT depend on WP02/WP03/WP04"
    expect(deps('013-smcat-parser-generator').WP05).toEqual(['WP01']);
    // "Depends on WP01-WP05 (all implementation ...)"
    expect(deps('016-frank-cli-help-system').WP06).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
    // "None (can run in parallel with WP01). Both WP01 and WP02 depend only on ..."
    expect(deps('017-wsd-generator-cross-validator').WP02).toEqual([]);
    // "Can be developed in parallel with WP02 and WP03 (both only depend on WP01)."
    expect(deps('018-scxml-parser-generator').WP04).toEqual(['WP01']);
    // "Can run in **parallel with WP04-WP08**."
    expect(deps('031-unified-resource-pipeline').WP09).toEqual(['WP03']);
    expect(deps('031-unified-resource-pipeline').WP13).toEqual(['WP07', 'WP08', 'WP09', 'WP10']);
  });

  it('agrees with the prompt files’ dependencies frontmatter where the two sources agree', () => {
    // Features whose tasks.md and WP frontmatter say the same thing (checked by hand); elsewhere the frontmatter
    // was trimmed or extended after tasks.md was written, so tasks.md is the only reference.
    const agreeing = [
      'frank-fs__frank/001-semantic-resources-phase1',
      'frank-fs__frank/002-phase1-code-review-fixes',
      'frank-fs__frank/003-statecharts-feasibility-research',
      'frank-fs__frank/004-frank-statecharts',
      'frank-fs__frank/007-wsd-lexer-parser-ast',
      'frank-fs__frank/010-statecharts-production-readiness',
      'frank-fs__frank/011-alps-parser-generator',
      'frank-fs__frank/017-wsd-generator-cross-validator',
      'frank-fs__frank/023-alps-shared-ast-migration',
      'frank-fs__frank/024-scxml-shared-ast-migration',
      'frank-fs__frank/026-cli-statechart-commands',
      'frank-fs__frank/027-smcat-native-annotations',
      'frank-fs__frank/028-scxml-native-annotations',
      'frank-fs__frank/033-role-definition-schema',
      'kentonium3__bake-tracker__at-0c42cf2-lane-folders/001-system-health-check',
    ];
    for (const name of agreeing) {
      const { feature, doc } = parse(name);
      expect(feature.wpFiles.size, name).toBe(doc.workPackages.length);
      for (const wp of doc.workPackages) {
        const file = feature.wpFiles.get(wp.id);
        if (!file) throw new Error(`${name}: no prompt file for ${wp.id}`);
        expect(sorted(wp.dependencies), `${name} ${wp.id}`).toEqual(sorted(frontmatterDependencies(file)));
      }
    }
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  editFrontmatter,
  type FrontmatterEdit,
  parseFrontmatter,
  parseFrontmatterForEdit,
  splitFrontmatter,
} from '../../src/io/frontmatter.js';
import { corpusAvailable, corpusWorkPackageFiles } from '../helpers/corpus.js';

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

const entry = { timestamp: '2026-11-22T10:00:00Z', lane: 'doing', agent: 'claude', shell_pid: '4242', action: 'moved' };

describe('splitFrontmatter', () => {
  it('finds the block and the body in LF, CRLF and BOM files', () => {
    for (const [text, eol, bom] of [
      ['---\na: 1\n---\nbody\n', '\n', ''],
      ['---\r\na: 1\r\n---\r\nbody\r\n', '\r\n', ''],
      ['\ufeff---\na: 1\n---\nbody\n', '\n', '\ufeff'],
    ] as const) {
      const split = splitFrontmatter(text);
      expect(split.ok).toBe(true);
      if (!split.ok) continue;
      expect(split.eol).toBe(eol);
      expect(split.bom).toBe(bom);
      expect(split.yaml).toBe(`a: 1${eol}`);
      expect(text.slice(split.bodyStart)).toBe(`body${eol}`);
    }
  });

  it('says why a file has no usable frontmatter', () => {
    expect(splitFrontmatter('')).toMatchObject({ ok: false, reason: expect.stringContaining('empty') });
    expect(splitFrontmatter('# Title\n')).toMatchObject({ ok: false, reason: expect.stringContaining('no YAML') });
    expect(splitFrontmatter('---\na: 1\n')).toMatchObject({ ok: false, reason: expect.stringContaining('closing') });
  });
});

describe('parseFrontmatter', () => {
  it('reports the line of a YAML error in file coordinates', () => {
    const parsed = parseFrontmatter('---\ntitle: x\nlane: [doing\nagent: a\n---\n');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects duplicate keys and non-mapping frontmatter', () => {
    const dup = parseFrontmatter('---\nlane: done\nlane: doing\n---\n');
    expect(dup).toMatchObject({ ok: false, line: 3 });
    expect(parseFrontmatter('---\n- a\n---\n')).toMatchObject({ ok: false });
  });

  it('keeps dates as strings and records the line of each key', () => {
    const parsed = parseFrontmatter('---\r\n# c\r\ncreated_at: 2026-03-18\r\nlane: "done"\r\n---\r\nx');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.data.created_at).toBe('2026-03-18T00:00:00.000Z');
    expect(parsed.keyLines).toMatchObject({ created_at: 3, lane: 4 });
  });
});

describe('editFrontmatter', () => {
  const sample = [
    '---',
    'work_package_id: WP03',
    'title: Generator',
    'lane: "planned"  # kept comment',
    'dependencies: [WP01]',
    'subtasks:',
    '  - "T001"',
    '  - "T002"',
    'agent:',
    "shell_pid: ''",
    'history:',
    "- timestamp: '2026-03-18T07:24:37Z'",
    '  lane: planned',
    '  agent: system',
    "  shell_pid: ''",
    '  action: Prompt generated',
    '# trailing comment',
    'extra: [a,b]',
    '---',
    '',
    '# Body',
    '',
  ].join('\n');

  it('changes only the lane value, keeping its quotes and comment', async () => {
    const out = await editFrontmatter(sample, [{ kind: 'set', key: 'lane', value: 'doing' }]);
    expect(changedLines(sample, out)).toEqual({
      removed: ['lane: "planned"  # kept comment'],
      added: ['lane: "doing"  # kept comment'],
    });
  });

  it('appends a history entry in the style of the previous one', async () => {
    const out = await editFrontmatter(sample, [{ kind: 'append', key: 'history', item: entry }]);
    expect(changedLines(sample, out)).toEqual({
      removed: [],
      added: [
        "- timestamp: '2026-11-22T10:00:00Z'",
        '  lane: doing',
        '  agent: claude',
        "  shell_pid: '4242'",
        '  action: moved',
      ],
    });
  });

  it('rewrites lists in their own style and fills empty values', async () => {
    const out = await editFrontmatter(sample, [
      { kind: 'set', key: 'dependencies', value: ['WP01', 'WP02'] },
      { kind: 'set', key: 'subtasks', value: ['T001'] },
      { kind: 'set', key: 'agent', value: 'codex' },
      { kind: 'set', key: 'base_commit', value: 'abc123' },
    ]);
    expect(out).toContain('dependencies: [WP01, WP02]\n');
    expect(out).toContain('subtasks:\n  - "T001"\nagent: codex\n');
    expect(out).toContain('extra: [a,b]\nbase_commit: abc123\n---\n\n# Body\n');
  });

  it('turns a block list into [] and back', async () => {
    const empty = await editFrontmatter(sample, [{ kind: 'set', key: 'subtasks', value: [] }]);
    expect(empty).toContain('subtasks: []\nagent:\n');
    const again = await editFrontmatter(empty, [{ kind: 'set', key: 'subtasks', value: ['T009'] }]);
    expect(again).toContain('subtasks: [T009]\nagent:\n');
  });

  it('starts a history list where there was none or an empty one', async () => {
    const none = await editFrontmatter('---\nlane: planned\n---\nbody', [
      { kind: 'append', key: 'history', item: entry },
    ]);
    expect(none).toBe(
      "---\nlane: planned\nhistory:\n- timestamp: '2026-11-22T10:00:00Z'\n  lane: doing\n  agent: claude\n  shell_pid: '4242'\n  action: moved\n---\nbody",
    );
    const emptyList = await editFrontmatter('---\nhistory: []\nlane: planned\n---\n', [
      { kind: 'append', key: 'history', item: entry },
    ]);
    expect(emptyList.startsWith("---\nhistory:\n- timestamp: '2026-11-22T10:00:00Z'\n")).toBe(true);
    expect(emptyList.endsWith('  action: moved\nlane: planned\n---\n')).toBe(true);
  });

  it('keeps CRLF line endings and the BOM', async () => {
    const crlf = `\ufeff${sample.replace(/\n/g, '\r\n')}`;
    const out = await editFrontmatter(crlf, [
      { kind: 'set', key: 'lane', value: 'done' },
      { kind: 'append', key: 'history', item: entry },
      { kind: 'set', key: 'subtasks', value: ['T1', 'T2', 'T3'] },
    ]);
    expect(out.startsWith('\ufeff---\r\n')).toBe(true);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
    expect(out.endsWith('---\r\n\r\n# Body\r\n')).toBe(true);
  });
});

/** The edits one call at a time: each planned on the text the ones before it left. */
async function editOneByOne(text: string, edits: readonly FrontmatterEdit[]): Promise<string> {
  let result = text;
  for (const edit of edits) result = await editFrontmatter(result, [edit]);
  return result;
}

const laneChange: readonly FrontmatterEdit[] = [
  { kind: 'set', key: 'lane', value: 'doing' },
  { kind: 'set', key: 'agent', value: 'claude' },
  { kind: 'set', key: 'shell_pid', value: '4242' },
  { kind: 'set', key: 'review_status', value: 'has_feedback' },
  { kind: 'append', key: 'history', item: entry },
  { kind: 'set', key: 'dependencies', value: ['WP01', 'WP02'] },
  { kind: 'set', key: 'base_commit', value: null },
];

describe('editFrontmatter with several edits', () => {
  it('gives what the edits give one at a time, for existing keys, new keys and lists', async () => {
    for (const text of [
      '---\nwork_package_id: WP03\nlane: "planned"\nagent:\ndependencies: []\nhistory:\n- lane: planned\n  at: x\n---\nbody\n',
      '---\r\nlane: planned # here\r\ndependencies:\r\n  - WP01\r\nhistory: []\r\nshell_pid: 1\r\n---\r\n',
      '---\ntitle: t\n---\n',
      '---\nhistory:\n  - lane: planned\n    agent: "a"\nlane: planned\n---\n',
    ]) {
      expect(await editFrontmatter(text, laneChange), text).toBe(await editOneByOne(text, laneChange));
    }
  });

  it('takes a key edited twice one edit at a time', async () => {
    const text = '---\nlane: planned\nhistory: []\n---\n';
    const twice: FrontmatterEdit[] = [
      { kind: 'append', key: 'history', item: entry },
      { kind: 'append', key: 'history', item: { ...entry, lane: 'for_review' } },
    ];
    expect(await editFrontmatter(text, twice)).toBe(await editOneByOne(text, twice));
  });
});

describe('parseFrontmatterForEdit', () => {
  it('reads what parseFrontmatter reads, errors included', async () => {
    for (const text of [
      '---\r\n# c\r\ncreated_at: 2026-03-18\r\nlane: "done"\r\n---\r\nx',
      '---\nlane: \'for_review\'\ndependencies: [WP01, "WP02"]\nshell_pid: 123\nagent:\nhistory:\n- lane: doing\n  at: 2026-01-02T03:04:05Z\n---\n',
      '---\ntitle: x\nlane: [doing\nagent: a\n---\n',
      '---\nlane: done\nlane: doing\n---\n',
      '---\n- a\n---\n',
      '---\n# only a comment\n---\nbody\n',
      '---\n~\n---\n',
      '# no frontmatter\n',
    ]) {
      expect(await parseFrontmatterForEdit(text), text).toEqual(parseFrontmatter(text));
    }
  });
});

describe.skipIf(!corpusAvailable)('the real corpus', () => {
  const files = corpusWorkPackageFiles();

  it('has WP files to test', () => {
    expect(files.length).toBeGreaterThan(150);
  });

  it('reads every WP file and changes exactly the lane line and the history on write', async () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const parsed = parseFrontmatter(text);
      expect(parsed.ok, file).toBe(true);
      if (!parsed.ok) continue;
      expect(await parseFrontmatterForEdit(text), file).toEqual(parsed);
      expect(await editFrontmatter(text, laneChange), file).toBe(await editOneByOne(text, laneChange));
      const target = parsed.data.lane === 'done' ? 'for_review' : 'done';
      const moved = await editFrontmatter(text, [{ kind: 'set', key: 'lane', value: target }]);
      const diff = changedLines(text, moved);
      expect(diff.removed, file).toHaveLength(1);
      expect(diff.removed[0]?.startsWith('lane:'), file).toBe(true);
      expect(diff.added[0], file).toBe(
        diff.removed[0]?.replace(/^lane: (["']?)[a-z_]+\1/, (_m, q) => `lane: ${q}${target}${q}`),
      );
      const withHistory = await editFrontmatter(moved, [{ kind: 'append', key: 'history', item: entry }]);
      const added = changedLines(moved, withHistory);
      expect(added.removed, file).toEqual([]);
      expect(added.added.length, file).toBe('history' in parsed.data ? 5 : 6);
      const reread = parseFrontmatter(withHistory);
      expect(reread.ok && reread.data.lane, file).toBe(target);
      expect(withHistory.slice(withHistory.indexOf('\n---', 4)), file).toBe(text.slice(text.indexOf('\n---', 4)));
    }
  });
});

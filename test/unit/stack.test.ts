import { describe, expect, it } from 'vitest';
import {
  ignoredInTheWay,
  forecastPairs,
  isInFlight,
  pairKey,
  restackOrder,
  staleDependencies,
  waitsFor,
} from '../../src/domain/stack.js';
import { parseStdinOutput } from '../../src/io/conflict-forecast.js';
import { gitMarks, renderStatus } from '../../src/cli/render-status.js';
import { cardMarks } from '../../src/ui/state/marks.js';
import { feature, git, NOW, status, wp } from '../ui/fixtures.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('WPs in flight and forecast pairs', () => {
  it('counts doing and for_review WPs with a branch as in flight', () => {
    expect(isInFlight({ lane: 'doing', tip: A })).toBe(true);
    expect(isInFlight({ lane: 'for_review', tip: A })).toBe(true);
    expect(isInFlight({ lane: 'doing', tip: null })).toBe(false);
    expect(isInFlight({ lane: 'done', tip: A })).toBe(false);
    expect(isInFlight({ lane: 'planned', tip: A })).toBe(false);
  });

  it('makes every unordered pair once, by id, n(n-1)/2 of them', () => {
    const wps = ['WP03', 'WP01', 'WP10', 'WP02'].map((id) => ({ id, tip: id }));
    expect(forecastPairs(wps).map(([first, second]) => `${first.id}-${second.id}`)).toEqual([
      'WP01-WP02',
      'WP01-WP03',
      'WP01-WP10',
      'WP02-WP03',
      'WP02-WP10',
      'WP03-WP10',
    ]);
    const twenty = Array.from({ length: 20 }, (_, index) => ({
      id: `WP${String(index + 1).padStart(2, '0')}`,
      tip: A,
    }));
    expect(forecastPairs(twenty)).toHaveLength(190);
    expect(forecastPairs([{ id: 'WP01', tip: A }])).toEqual([]);
  });

  it('keys a pair by its two tips whatever their order', () => {
    expect(pairKey(A, B)).toBe(pairKey(B, A));
    expect(pairKey(B, A)).toBe(`${A} ${B}`);
  });

  it('lists the dependencies a branch is behind, by id, leaving out those it is level with', () => {
    expect(staleDependencies({ WP10: 1, WP02: 3, WP03: 0 })).toEqual([
      { dependency: 'WP02', newCommits: 3 },
      { dependency: 'WP10', newCommits: 1 },
    ]);
    expect(staleDependencies({})).toEqual([]);
  });
});

describe('restack order', () => {
  const nodes = [
    { id: 'WP04', dependencies: ['WP02', 'WP03'] },
    { id: 'WP03', dependencies: ['WP01'] },
    { id: 'WP02', dependencies: ['WP01'] },
    { id: 'WP01', dependencies: [] },
    { id: 'WP05', dependencies: [] },
  ];

  it('visits dependencies first, every WP without a start', () => {
    expect(restackOrder(nodes)).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
  });

  it('from a WP: that WP and everything that depends on it, directly or not', () => {
    expect(restackOrder(nodes, 'WP02')).toEqual(['WP02', 'WP04']);
    expect(restackOrder(nodes, 'WP01')).toEqual(['WP01', 'WP02', 'WP03', 'WP04']);
    expect(restackOrder(nodes, 'WP05')).toEqual(['WP05']);
  });

  it('makes a WP wait for the first of its dependencies that was skipped', () => {
    expect(waitsFor(nodes[0] as (typeof nodes)[0], new Set(['WP03', 'WP02']))).toBe('WP02');
    expect(waitsFor(nodes[0] as (typeof nodes)[0], new Set(['WP05']))).toBeUndefined();
  });
});

describe('ignored files a restack would overwrite', () => {
  it('names an ignored file at a changed path, in a changed directory, or holding one', () => {
    const changed = ['secret.env', 'build/out.js', 'cache'];
    expect(ignoredInTheWay(changed, ['secret.env', 'other.log'])).toEqual(['secret.env']);
    expect(ignoredInTheWay(changed, ['build/'])).toEqual(['build/']);
    expect(ignoredInTheWay(changed, ['cache/tmp.bin'])).toEqual(['cache/tmp.bin']);
  });

  it('leaves alone ignored paths that only share a prefix of their name', () => {
    expect(ignoredInTheWay(['secret.env', 'build/out.js'], ['secret.env.bak', 'builder/', 'build.log'])).toEqual([]);
    expect(ignoredInTheWay([], ['secret.env'])).toEqual([]);
  });
});

describe('merge-tree --stdin output', () => {
  it('reads clean and conflicting merges, with the conflicted names, skipping the messages', () => {
    const output = [
      '0',
      'tree1',
      'f',
      'g',
      '',
      '1',
      'f',
      'Auto-merging',
      'Auto-merging f\n',
      '2',
      'f',
      'g',
      'CONFLICT (rename/delete)',
      'msg\n',
      '',
      '1',
      'tree2',
      '',
      '0',
      'tree3',
      'h',
      '',
      '1',
      'h',
      'CONFLICT (contents)',
      'msg\n',
      '',
      '',
    ].join('\0');
    expect(parseStdinOutput(output, 3)).toEqual([['f', 'g'], [], ['h']]);
  });

  it('refuses output that does not hold the merges asked for', () => {
    expect(parseStdinOutput('1\0tree\0\0', 2)).toBeNull();
    expect(parseStdinOutput('', 1)).toBeNull();
    expect(parseStdinOutput('fatal\0', 1)).toBeNull();
  });
});

describe('stack marks on the boards', () => {
  const flying = wp('WP02', 'doing', {
    git: git({ behind: { WP01: 2 } }),
    staleBase: [{ dependency: 'WP01', newCommits: 2 }],
    conflicts: [{ with: 'WP03', files: ['src/a.ts', 'src/b.ts'] }],
  });

  it('marks a forecast conflict on the live board card and the plain board line', () => {
    expect(cardMarks(flying, NOW).map((mark) => mark.text)).toEqual(['↑0', '⚠WP01+2', '✗WP03', '5m']);
    expect(cardMarks(flying, NOW).find((mark) => mark.text === '✗WP03')?.kind).toBe('conflict');
    expect(gitMarks(flying)).toBe('↑0 ⚠behind WP01+2 ✗WP03 5m');
  });

  it('lists stale bases with kit restack and each conflicting pair once with its files', () => {
    const other = wp('WP03', 'doing', { git: git(), conflicts: [{ with: 'WP02', files: ['src/a.ts', 'src/b.ts'] }] });
    const text = renderStatus(status(feature('001-x', [flying, other])));
    expect(text).toContain('  ⚠ WP02 stale base (WP01 +2): kit restack WP02 --feature 001\n');
    expect(text.match(/✗ WP\d+ and WP\d+ would conflict/g)).toHaveLength(1);
    expect(text).toContain('  ✗ WP02 and WP03 would conflict in src/a.ts, src/b.ts');
  });

  it('never cuts the restack command: with a long feature name (no number) it goes on a line of its own', () => {
    const name = 'mission-with-a-name-long-enough-to-push-the-command-past-eighty-01KZZZ';
    const text = renderStatus(status(feature(name, [flying])));
    expect(text).toContain(`  ⚠ WP02 stale base (WP01 +2):\n      kit restack WP02 --feature ${name}\n`);
  });
});

import { describe, expect, it } from 'vitest';
import { type MergeCandidate, type MergePlan, planMerge } from '../../src/domain/merge-plan.js';

const sha = (id: string): string => `${id.toLowerCase().replace(/[^0-9a-f]/g, 'a')}`.padEnd(40, '0');

/** A done WP with a clean worktree, a branch and a sane base: nothing about it blocks a merge. */
function wp(id: string, overrides: Partial<MergeCandidate> = {}): MergeCandidate {
  return {
    id,
    title: `Title of ${id}`,
    lane: 'done',
    dependencies: [],
    branch: `001-x-${id}`,
    tip: sha(id),
    landed: false,
    baseIsAncestor: true,
    worktree: { path: `/repo/.worktrees/001-x-${id}`, dirtyFiles: [], operation: null },
    ...overrides,
  };
}

const plain = { readyOnly: false };
const readyOnly = { readyOnly: true };

const orderOf = (plan: MergePlan): string[] => plan.order.map((candidate) => candidate.id);
const kindsOf = (plan: MergePlan): [string | null, string][] =>
  plan.blockers.map((blocker) => [blocker.wp, blocker.kind]);

describe('planMerge: order', () => {
  it('lands a linear chain dependencies first', () => {
    const plan = planMerge(
      [wp('WP03', { dependencies: ['WP02'] }), wp('WP02', { dependencies: ['WP01'] }), wp('WP01')],
      plain,
    );
    expect(plan.blockers).toEqual([]);
    expect(plan.skipped).toEqual([]);
    expect(orderOf(plan)).toEqual(['WP01', 'WP02', 'WP03']);
  });

  it('orders the diamond topologically with ties broken by id, whatever the input order', () => {
    const diamond = [
      wp('WP05'),
      wp('WP04', { dependencies: ['WP03', 'WP02'] }),
      wp('WP03', { dependencies: ['WP01'] }),
      wp('WP02', { dependencies: ['WP01'] }),
      wp('WP01'),
    ];
    expect(orderOf(planMerge(diamond, plain))).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
    expect(orderOf(planMerge([...diamond].reverse(), plain))).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
  });

  it('breaks ties numerically (WP2 before WP10), not as strings', () => {
    const plan = planMerge([wp('WP10'), wp('WP2'), wp('WP1', { dependencies: ['WP10'] })], plain);
    expect(orderOf(plan)).toEqual(['WP2', 'WP10', 'WP1']);
  });

  it('puts a dependency first even when its id sorts after its dependent', () => {
    const plan = planMerge([wp('WP01', { dependencies: ['WP09'] }), wp('WP09'), wp('WP05')], plain);
    expect(orderOf(plan)).toEqual(['WP05', 'WP09', 'WP01']);
  });

  it('returns the candidates themselves in the order (tips included)', () => {
    const one = wp('WP01');
    const plan = planMerge([one], plain);
    expect(plan.order).toEqual([one]);
  });
});

describe('planMerge: WPs already in the target', () => {
  it('skips landed WPs, says so with the tip, and orders the rest', () => {
    const plan = planMerge(
      [wp('WP01', { landed: true }), wp('WP02', { dependencies: ['WP01'] }), wp('WP03', { landed: true })],
      plain,
    );
    expect(plan.blockers).toEqual([]);
    expect(orderOf(plan)).toEqual(['WP02']);
    expect(plan.skipped).toEqual([
      { id: 'WP01', reason: `already in the target (${sha('WP01').slice(0, 12)})` },
      { id: 'WP03', reason: `already in the target (${sha('WP03').slice(0, 12)})` },
    ]);
  });

  it('skips a landed WP whatever its lane or worktree (merged by hand while still in doing)', () => {
    const plan = planMerge(
      [
        wp('WP01', {
          lane: 'doing',
          landed: true,
          worktree: { path: '/wt', dirtyFiles: ['scratch.txt'], operation: 'rebase' },
          baseIsAncestor: false,
        }),
        wp('WP02'),
      ],
      plain,
    );
    expect(plan.blockers).toEqual([]);
    expect(plan.skipped.map((entry) => entry.id)).toEqual(['WP01']);
    expect(orderOf(plan)).toEqual(['WP02']);
  });

  it('says there is nothing to merge when every WP is already in the target', () => {
    const plan = planMerge([wp('WP01', { landed: true }), wp('WP02', { landed: true })], plain);
    expect(plan.order).toEqual([]);
    expect(plan.blockers).toEqual([
      { wp: null, kind: 'nothing-to-merge', message: 'every work package is already in the target' },
    ]);
  });

  it('says there is nothing to merge for a feature without WPs', () => {
    const plan = planMerge([], plain);
    expect(kindsOf(plan)).toEqual([[null, 'nothing-to-merge']]);
  });
});

describe('planMerge: blockers', () => {
  it('refuses WPs that are not done, naming each one and its lane', () => {
    const plan = planMerge(
      [wp('WP01'), wp('WP02', { lane: 'doing' }), wp('WP03', { lane: 'for_review' }), wp('WP04', { lane: 'planned' })],
      plain,
    );
    expect(kindsOf(plan)).toEqual([
      ['WP02', 'not-done'],
      ['WP03', 'not-done'],
      ['WP04', 'not-done'],
    ]);
    expect(plan.blockers[0]?.message).toContain('WP02 is in doing');
    expect(plan.blockers[2]?.message).toContain('WP04 is in planned');
  });

  it('does not report a missing branch for a WP that is not done (it was never started)', () => {
    const plan = planMerge([wp('WP01', { lane: 'planned', tip: null, worktree: null })], plain);
    expect(kindsOf(plan)).toEqual([['WP01', 'not-done']]);
  });

  it('refuses a done WP whose branch does not exist', () => {
    const plan = planMerge([wp('WP01', { tip: null, worktree: null, baseIsAncestor: null })], plain);
    expect(kindsOf(plan)).toEqual([['WP01', 'no-branch']]);
    expect(plan.blockers[0]?.message).toContain('001-x-WP01');
    expect(plan.order).toEqual([]);
  });

  it('refuses a dirty worktree and lists its files', () => {
    const plan = planMerge(
      [wp('WP01', { worktree: { path: '/wt/WP01', dirtyFiles: ['src/a.ts', 'notes.txt'], operation: null } })],
      plain,
    );
    expect(kindsOf(plan)).toEqual([['WP01', 'dirty-worktree']]);
    expect(plan.blockers[0]?.message).toContain('/wt/WP01');
    expect(plan.blockers[0]?.message).toContain('src/a.ts, notes.txt');
  });

  it('shortens a long list of dirty files', () => {
    const files = Array.from({ length: 12 }, (_, index) => `file${index}.txt`);
    const plan = planMerge([wp('WP01', { worktree: { path: '/wt', dirtyFiles: files, operation: null } })], plain);
    const message = plan.blockers[0]?.message ?? '';
    expect(message).toContain('file7.txt');
    expect(message).not.toContain('file8.txt');
    expect(message).toMatch(/\.\.\.$/);
  });

  it('refuses a worktree with a merge or rebase in progress', () => {
    const plan = planMerge(
      [
        wp('WP01', { worktree: { path: '/wt/1', dirtyFiles: [], operation: 'merge' } }),
        wp('WP02', { worktree: { path: '/wt/2', dirtyFiles: [], operation: 'rebase' } }),
      ],
      plain,
    );
    expect(kindsOf(plan)).toEqual([
      ['WP01', 'operation-in-progress'],
      ['WP02', 'operation-in-progress'],
    ]);
    expect(plan.blockers[0]?.message).toContain('merge in progress');
    expect(plan.blockers[1]?.message).toContain('rebase in progress');
  });

  it('refuses a branch whose history was rewritten (its recorded base is not an ancestor)', () => {
    const plan = planMerge([wp('WP01', { baseIsAncestor: false })], plain);
    expect(kindsOf(plan)).toEqual([['WP01', 'rewritten-history']]);
    expect(plan.blockers[0]?.message).toContain('rewritten');
  });

  it('does not block when the base could not be checked (no recorded base)', () => {
    const plan = planMerge([wp('WP01', { baseIsAncestor: null })], plain);
    expect(plan.blockers).toEqual([]);
    expect(orderOf(plan)).toEqual(['WP01']);
  });

  it('reports a dependency cycle with its path', () => {
    const plan = planMerge(
      [wp('WP01', { dependencies: ['WP02'] }), wp('WP02', { dependencies: ['WP01'] }), wp('WP03')],
      plain,
    );
    const cycles = plan.blockers.filter((blocker) => blocker.kind === 'cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.wp).toBe('WP01');
    expect(cycles[0]?.message).toMatch(/WP01 → WP02 → WP01|WP02 → WP01 → WP02/);
  });

  it('reports every reason at once, across WPs and within one WP', () => {
    const plan = planMerge(
      [
        wp('WP01', { lane: 'for_review' }),
        wp('WP02', { tip: null, worktree: null }),
        wp('WP03', {
          worktree: { path: '/wt/3', dirtyFiles: ['x.txt'], operation: 'cherry-pick' },
          baseIsAncestor: false,
        }),
        wp('WP04'),
      ],
      plain,
    );
    expect(kindsOf(plan)).toEqual([
      ['WP01', 'not-done'],
      ['WP02', 'no-branch'],
      ['WP03', 'dirty-worktree'],
      ['WP03', 'operation-in-progress'],
      ['WP03', 'rewritten-history'],
    ]);
    expect(plan.blockers.some((blocker) => blocker.kind === 'nothing-to-merge')).toBe(false);
  });
});

describe('planMerge: --ready-only', () => {
  const diamond = (lanes: Record<string, MergeCandidate['lane']>, landed: readonly string[] = []) =>
    [
      wp('WP01'),
      wp('WP02', { dependencies: ['WP01'] }),
      wp('WP03', { dependencies: ['WP01'] }),
      wp('WP04', { dependencies: ['WP02', 'WP03'] }),
      wp('WP05'),
    ].map((candidate) => ({
      ...candidate,
      lane: lanes[candidate.id] ?? candidate.lane,
      landed: landed.includes(candidate.id),
    }));

  it('lands the done WPs whose dependencies land in the same run, and skips the rest without blocking', () => {
    const plan = planMerge(diamond({ WP03: 'doing', WP04: 'planned' }), readyOnly);
    expect(plan.blockers).toEqual([]);
    expect(orderOf(plan)).toEqual(['WP01', 'WP02', 'WP05']);
    expect(plan.skipped).toEqual([
      { id: 'WP03', reason: 'in doing, not done' },
      { id: 'WP04', reason: 'in planned, not done' },
    ]);
  });

  it('skips a done WP whose dependency is not landing, naming what it waits for', () => {
    const plan = planMerge(diamond({ WP03: 'for_review' }), readyOnly);
    expect(orderOf(plan)).toEqual(['WP01', 'WP02', 'WP05']);
    expect(plan.skipped).toEqual([
      { id: 'WP03', reason: 'in for_review, not done' },
      { id: 'WP04', reason: 'waits for WP03' },
    ]);
  });

  it('counts a dependency already in the target as landed', () => {
    const plan = planMerge(diamond({ WP01: 'doing' }, ['WP01']), readyOnly);
    expect(orderOf(plan)).toEqual(['WP02', 'WP03', 'WP04', 'WP05']);
    expect(plan.skipped.map((entry) => entry.id)).toEqual(['WP01']);
  });

  it('does not land a dependent of a WP that is blocked, and still reports the block', () => {
    const candidates = diamond({});
    candidates[0] = { ...wp('WP01'), worktree: { path: '/wt/1', dirtyFiles: ['wip.txt'], operation: null } };
    const plan = planMerge(candidates, readyOnly);
    expect(kindsOf(plan)).toEqual([['WP01', 'dirty-worktree']]);
    expect(orderOf(plan)).toEqual(['WP05']);
    expect(plan.skipped).toEqual([
      { id: 'WP02', reason: 'waits for WP01' },
      { id: 'WP03', reason: 'waits for WP01' },
      { id: 'WP04', reason: 'waits for WP02, WP03' },
    ]);
  });

  it('says nothing is ready when no WP can land', () => {
    const plan = planMerge(diamond({ WP01: 'doing', WP05: 'planned' }), readyOnly);
    expect(plan.order).toEqual([]);
    expect(plan.blockers).toEqual([
      { wp: null, kind: 'nothing-to-merge', message: 'no work package is ready to land' },
    ]);
  });

  it('the plain run still wants every WP done', () => {
    const plan = planMerge(diamond({ WP03: 'doing', WP04: 'planned' }), plain);
    expect(kindsOf(plan)).toEqual([
      ['WP03', 'not-done'],
      ['WP04', 'not-done'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { isUnfinished, LANES, parseLane } from '../../src/lanes/lane.js';
import { checkTransition, legalTargets } from '../../src/lanes/transitions.js';

describe('parseLane', () => {
  it('reads the four lanes and in_progress as doing', () => {
    for (const lane of LANES) expect(parseLane(lane)).toBe(lane);
    expect(parseLane('in_progress')).toBe('doing');
    expect(parseLane(' done ')).toBe('done');
  });

  it('rejects anything else', () => {
    for (const value of ['reviewing', 'Done', 'DOING', '', null, undefined, 3, ['done']]) {
      expect(parseLane(value), String(value)).toBeUndefined();
    }
  });
});

describe('isUnfinished', () => {
  it('is doing and for_review, plus planned when strict', () => {
    expect(LANES.filter((lane) => isUnfinished(lane, false))).toEqual(['doing', 'for_review']);
    expect(LANES.filter((lane) => isUnfinished(lane, true))).toEqual(['planned', 'doing', 'for_review']);
  });
});

describe('checkTransition', () => {
  it('allows exactly the legal moves', () => {
    const allowed = LANES.flatMap((from) =>
      LANES.filter((to) => checkTransition(from, to, { force: false }).allowed).map((to) => `${from}→${to}`),
    );
    expect(allowed).toEqual([
      'planned→doing',
      'doing→planned',
      'doing→for_review',
      'for_review→planned',
      'for_review→doing',
      'for_review→done',
    ]);
  });

  it('marks moves back from review as rejections', () => {
    expect(checkTransition('for_review', 'planned', { force: false })).toEqual({
      allowed: true,
      forced: false,
      rejection: true,
    });
    expect(checkTransition('doing', 'planned', { force: false })).toMatchObject({ rejection: false });
  });

  it('names the legal targets when refusing, and lets --force through as forced', () => {
    const refused = checkTransition('planned', 'done', { force: false });
    expect(refused).toMatchObject({ allowed: false, legalTargets: ['doing'] });
    if (!refused.allowed) expect(refused.reason).toContain('doing');
    expect(checkTransition('planned', 'done', { force: true })).toMatchObject({ allowed: true, forced: true });
    expect(checkTransition('done', 'done', { force: true }).allowed).toBe(false);
    expect(legalTargets('done')).toEqual([]);
  });
});

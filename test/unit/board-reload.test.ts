import { describe, expect, it } from 'vitest';
import { mergeFeatures, reloadScope } from '../../src/services/board-reload.js';
import { feature, sampleStatus, status, wp } from '../ui/fixtures.js';

const paths = { specsDir: '/repo/kitty-specs', commonDir: '/repo/.git' };
const specs = paths.specsDir;
// Features 001-x (WP02 has the worktree /repo/.worktrees/001-x-WP02) and 002-y, both targeting main.
const current = sampleStatus();
const all = { kind: 'all' };

describe('how much the board reloads', () => {
  it('reloads only the features whose WP files changed', () => {
    expect(
      reloadScope(
        [`${specs}/001-x/tasks/WP01-x.md`, `${specs}/001-x/tasks/WP02-x.md`, `${specs}/002-y/meta.json`],
        paths,
        current,
      ),
    ).toEqual({ kind: 'features', features: ['001-x', '002-y'] });
    expect(reloadScope([`${specs}/002-y/tasks/doing/WP01-x.md`], paths, current)).toEqual({
      kind: 'features',
      features: ['002-y'],
    });
  });

  it('reloads only the feature of a WP branch, a WP worktree git dir, or a file in a WP worktree', () => {
    expect(
      reloadScope(
        [
          '/repo/.git/refs/heads/002-y-WP01',
          '/repo/.git/worktrees/001-x-WP02/index',
          '/repo/.worktrees/001-x-WP02/src/parser.ts',
        ],
        paths,
        current,
      ),
    ).toEqual({ kind: 'features', features: ['002-y', '001-x'] });
  });

  it('ignores branches that are neither WP branches of a feature on the board nor a target branch', () => {
    expect(
      reloadScope(['/repo/.git/refs/heads/experiment', '/repo/.git/refs/heads/user/topic'], paths, current),
    ).toEqual({ kind: 'features', features: [] });
    expect(reloadScope(['/repo/.git/refs/heads/999-gone-WP01'], paths, current)).toEqual({
      kind: 'features',
      features: [],
    });
  });

  it('reloads everything for a target branch, HEAD, packed-refs, new features, unknown worktrees or changes', () => {
    expect(reloadScope(null, paths, current)).toEqual(all);
    expect(reloadScope([], paths, current)).toEqual(all);
    expect(reloadScope([`${specs}/001-x/tasks/WP01-x.md`, '/repo/.git/refs/heads/main'], paths, current)).toEqual(all);
    expect(reloadScope(['/repo/.git/HEAD'], paths, current)).toEqual(all);
    expect(reloadScope(['/repo/.git/packed-refs'], paths, current)).toEqual(all);
    expect(reloadScope(['/repo/.git/worktrees/elsewhere/HEAD'], paths, current)).toEqual(all);
    expect(reloadScope(['/repo/.worktrees/001-x-WP09/a.ts'], paths, current)).toEqual(all);
    expect(reloadScope([`${specs}/003-new/meta.json`], paths, current)).toEqual(all);
    expect(reloadScope([`${specs}/001-x`], paths, current)).toEqual(all);
    expect(reloadScope([specs], paths, current)).toEqual(all);
    expect(reloadScope(['/repo/kitty-specs-other/001-x/a.md'], paths, current)).toEqual(all);
  });

  it('merges fresh features into the result, in place', () => {
    const fresh = status(feature('002-y', [wp('WP01', 'done')]));
    const merged = mergeFeatures(current, [fresh]);
    expect(merged.features.map((f) => f.id)).toEqual(['001-x', '002-y']);
    expect(merged.features[0]).toBe(current.features[0]);
    expect(merged.features[1]?.workPackages.map((w) => w.lane)).toEqual(['done']);
  });
});

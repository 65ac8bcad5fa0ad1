import { describe, expect, it } from 'vitest';
import { resolveFeatureReference, workPackageSetProblems } from '../../src/domain/feature.js';
import { parseFeatureDirName } from '../../src/domain/identifiers.js';
import { interpretWorkPackage, type WorkPackage } from '../../src/domain/work-package.js';

function source(data: Record<string, unknown>, fileName = 'WP01-x.md', folder: string | null = null) {
  const keyLines = Object.fromEntries(Object.keys(data).map((key, index) => [key, index + 2]));
  return { file: `kitty-specs/001-a/tasks/${fileName}`, fileName, folder, data, keyLines };
}

describe('interpretWorkPackage', () => {
  it('reads the fields Spec Kitty writes', () => {
    const { workPackage, problems } = interpretWorkPackage(
      source({
        work_package_id: 'WP01',
        title: ' Setup ',
        lane: 'in_progress',
        dependencies: ['WP02', 'WP02'],
        subtasks: 'T001, T002',
        shell_pid: 4242,
        history: [{ timestamp: '2026-01-01T00:00:00Z', lane: 'planned', agent: 'system', action: 'created' }],
      }),
    );
    expect(problems).toEqual([]);
    expect(workPackage).toMatchObject({
      id: 'WP01',
      title: 'Setup',
      lane: 'doing',
      dependencies: ['WP02'],
      subtasks: ['T001', 'T002'],
      shellPid: '4242',
      folderLane: null,
    });
    expect(workPackage?.history[0]).toEqual({
      timestamp: '2026-01-01T00:00:00Z',
      lane: 'planned',
      agent: 'system',
      shell_pid: '',
      action: 'created',
    });
  });

  it('reports a missing or unknown lane at its line', () => {
    expect(interpretWorkPackage(source({ work_package_id: 'WP01' })).problems).toMatchObject([
      { kind: 'lane', line: null },
    ]);
    const unknown = interpretWorkPackage(source({ work_package_id: 'WP01', lane: 'reviewing' }));
    expect(unknown.workPackage).toBeNull();
    expect(unknown.problems).toMatchObject([{ kind: 'lane', line: 3, message: expect.stringContaining('reviewing') }]);
  });

  it('reports bad and mismatched ids', () => {
    expect(interpretWorkPackage(source({ work_package_id: 'WP1', lane: 'done' })).problems).toMatchObject([
      { kind: 'wp-id', line: 2 },
    ]);
    expect(interpretWorkPackage(source({ work_package_id: 'WP02', lane: 'done' })).problems).toMatchObject([
      { kind: 'wp-id', message: expect.stringContaining('file name says WP01') },
    ]);
    expect(interpretWorkPackage(source({ lane: 'done' })).workPackage?.id).toBe('WP01');
  });

  it('takes the folder lane in the older layout and flags a disagreement', () => {
    const agreed = interpretWorkPackage(source({ lane: 'done' }, 'WP01-x.md', 'done'));
    expect(agreed.problems).toEqual([]);
    const noLane = interpretWorkPackage(source({ title: 'x' }, 'WP01-x.md', 'doing'));
    expect(noLane.workPackage?.lane).toBe('doing');
    expect(noLane.problems).toEqual([]);
    const mismatch = interpretWorkPackage(source({ lane: 'planned' }, 'WP01-x.md', 'done'));
    expect(mismatch.workPackage?.lane).toBe('done');
    expect(mismatch.problems).toMatchObject([{ kind: 'lane-mismatch', line: 2 }]);
  });

  it('rejects dependencies that are not ids', () => {
    const result = interpretWorkPackage(source({ lane: 'done', dependencies: ['WP02', '../x'] }));
    expect(result.problems).toMatchObject([{ kind: 'dependency', message: expect.stringContaining('../x') }]);
    expect(result.workPackage?.dependencies).toEqual(['WP02']);
    expect(interpretWorkPackage(source({ lane: 'done', dependencies: { a: 1 } })).problems).toMatchObject([
      { kind: 'dependency' },
    ]);
  });
});

function wp(id: string, dependencies: string[] = [], file = `tasks/${id}.md`): WorkPackage {
  const built = interpretWorkPackage(source({ work_package_id: id, lane: 'planned', dependencies }, `${id}-x.md`));
  if (!built.workPackage) throw new Error('fixture');
  return { ...built.workPackage, file };
}

describe('workPackageSetProblems', () => {
  it('finds duplicates, missing dependencies and cycles', () => {
    const problems = workPackageSetProblems('001-a', [
      wp('WP01', ['WP03']),
      wp('WP02', ['WP01']),
      wp('WP03', ['WP02']),
      wp('WP04', ['WP09']),
      wp('WP04', [], 'tasks/WP04-copy.md'),
    ]);
    expect(problems.map((p) => p.kind).sort()).toEqual(['cycle', 'dependency', 'duplicate-wp']);
    expect(problems.find((p) => p.kind === 'cycle')?.message).toBe('dependency cycle: WP01 → WP03 → WP02 → WP01');
    expect(problems.find((p) => p.kind === 'dependency')?.message).toContain('WP04 depends on WP09');
  });

  it('is quiet for a valid set', () => {
    expect(workPackageSetProblems('001-a', [wp('WP01'), wp('WP02', ['WP01'])])).toEqual([]);
  });
});

describe('resolveFeatureReference', () => {
  const features = ['001-user-auth', '002-billing', '010-user-auth-v2'].map((name) => {
    const parsed = parseFeatureDirName(name);
    if (!parsed) throw new Error('fixture');
    return parsed;
  });

  it('accepts a dir name, a number and a slug', () => {
    expect(resolveFeatureReference(features, '001-user-auth').name).toBe('001-user-auth');
    expect(resolveFeatureReference(features, '1').name).toBe('001-user-auth');
    expect(resolveFeatureReference(features, '010').name).toBe('010-user-auth-v2');
    expect(resolveFeatureReference(features, 'billing').name).toBe('002-billing');
  });

  it('refuses path-like and unknown names, listing the features', () => {
    for (const bad of ['../x', '/etc', 'a/b', '..', '']) {
      expect(() => resolveFeatureReference(features, bad), bad).toThrow(/not a feature name/);
    }
    expect(() => resolveFeatureReference(features, 'nope')).toThrow(/no feature "nope"/);
    let thrown: unknown;
    try {
      resolveFeatureReference(features, '7');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      exitCode: 3,
      hint: expect.stringContaining('001-user-auth, 002-billing, 010-user-auth-v2'),
    });
  });
});

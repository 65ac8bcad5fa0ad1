import { describe, expect, it } from 'vitest';
import { openWorkspace } from '../../src/io/workspace.js';
import { loadWorkPackageDetail } from '../../src/services/board-detail.js';
import { expectSuccess, makeFeatureRepo } from '../helpers/lanes.js';

describe('the detail of a WP (board service)', () => {
  it('reads every frontmatter field and the body from the main checkout when it has the target out', async () => {
    const fx = await makeFeatureRepo();
    const workspace = await openWorkspace(fx.repo.root);
    const detail = await loadWorkPackageDetail(workspace, { file: fx.file('WP02'), targetBranch: 'main' });
    expect(detail.problem).toBeNull();
    expect(detail.source).toBe('working tree');
    expect(detail.frontmatter).toMatchObject({ work_package_id: 'WP02', lane: 'planned', dependencies: ['WP01'] });
    expect(Array.isArray(detail.frontmatter.history)).toBe(true);
    expect(detail.body).toContain('WP02');
    expect(detail.body).not.toContain('work_package_id:');
  });

  it('reads the target branch when the main checkout has another branch out, as the lanes are read', async () => {
    const fx = await makeFeatureRepo();
    expectSuccess(await fx.repo.kit(['implement', 'WP01', '--agent', 'claude']), 'kit implement');
    fx.repo.git(['switch', '-q', '-c', 'elsewhere', 'HEAD~1']);
    const workspace = await openWorkspace(fx.repo.root);
    const detail = await loadWorkPackageDetail(workspace, { file: fx.file('WP01'), targetBranch: 'main' });
    expect(detail.source).toBe('branch main');
    expect(detail.frontmatter).toMatchObject({ lane: 'doing', agent: 'claude' });
  });

  it('says why a file cannot be read instead of throwing', async () => {
    const fx = await makeFeatureRepo();
    const workspace = await openWorkspace(fx.repo.root);
    const missing = await loadWorkPackageDetail(workspace, {
      file: 'kitty-specs/001-x/tasks/WP99-gone.md',
      targetBranch: 'main',
    });
    expect(missing.problem).toMatch(/ENOENT|no such file/);
    fx.repo.write(fx.file('WP03'), 'no frontmatter here\n');
    const broken = await loadWorkPackageDetail(workspace, { file: fx.file('WP03'), targetBranch: 'main' });
    expect(broken.problem).toContain('line 1');
    expect(broken.body).toBe('no frontmatter here\n');
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { featureTitle } from '../domain/feature.js';
import { fillTemplate } from '../domain/template.js';
import { KitError } from '../errors.js';
import { readFeatureMeta } from '../io/feature-store.js';
import { readTextFile, toRepoPath, writeFileAtomic } from '../io/files.js';
import { readTemplate, type TemplateName } from '../io/templates.js';
import type { Workspace } from '../io/workspace.js';
import { selectFeature } from './feature-selection.js';

export interface FileAction {
  path: string;
  action: 'created' | 'overwritten' | 'kept';
}

export interface PlanResult {
  feature: string;
  files: FileAction[];
  warnings: string[];
}

/**
 * Writes plan.md (and research.md / data-model.md when asked) from the templates. A file that already
 * has content is kept unless --force: a plan an agent spent an hour on must not vanish on a re-run.
 */
export async function planFeature(
  workspace: Workspace,
  input: { feature?: string | undefined; research: boolean; dataModel: boolean; force: boolean; now: Date },
): Promise<PlanResult> {
  const feature = await selectFeature(workspace, input.feature);
  const { meta, problem } = readFeatureMeta(workspace, feature);
  if (problem)
    throw new KitError(`${problem.file}: ${problem.message}`, { hint: 'fix meta.json, then run kit plan again' });
  const values = {
    feature: feature.name,
    friendly_name: featureTitle({ meta, name: feature.name }),
    date: input.now.toISOString().slice(0, 10),
  };
  const warnings: string[] = [];
  const specPath = join(feature.dir, 'spec.md');
  if (!existsSync(specPath)) {
    warnings.push(`${toRepoPath(workspace.root, specPath)} is missing: the plan has no spec to follow`);
  } else {
    const spec = readTextFile(specPath);
    if (!spec.ok) throw new KitError(`${toRepoPath(workspace.root, specPath)}: ${spec.reason}`);
    const lines = spec.text.split('\n');
    const open = lines.flatMap((line, index) => (line.includes('[NEEDS CLARIFICATION') ? [index + 1] : []));
    if (open.length > 0) {
      warnings.push(
        `${toRepoPath(workspace.root, specPath)} still has ${open.length} [NEEDS CLARIFICATION] marker` +
          `${open.length === 1 ? '' : 's'} (line${open.length === 1 ? '' : 's'} ${open.join(', ')}): resolve them before planning in detail`,
      );
    }
  }
  const wanted: TemplateName[] = ['plan.md'];
  if (input.research) wanted.push('research.md');
  if (input.dataModel) wanted.push('data-model.md');
  const files: FileAction[] = [];
  for (const name of wanted) {
    const path = join(feature.dir, name);
    const repoPath = toRepoPath(workspace.root, path);
    const existing = existsSync(path) ? readTextFile(path) : null;
    if (existing && !existing.ok)
      throw new KitError(`${repoPath}: ${existing.reason}`, { hint: 'move it away, then run kit plan again' });
    const hasContent = existing !== null && existing.ok && existing.text.trim() !== '';
    if (hasContent && !input.force) {
      files.push({ path: repoPath, action: 'kept' });
      warnings.push(`${repoPath} already has content; kept it (--force overwrites)`);
      continue;
    }
    writeFileAtomic(path, fillTemplate(readTemplate(name), values));
    files.push({ path: repoPath, action: hasContent ? 'overwritten' : 'created' });
  }
  return { feature: feature.name, files, warnings };
}

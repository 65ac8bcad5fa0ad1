import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { featureTitle } from '../domain/feature.js';
import { slugify } from '../domain/identifiers.js';
import type { Problem } from '../domain/problem.js';
import { type PlannedWorkPackage, parseTasksDocument } from '../domain/tasks-document.js';
import { fillTemplate } from '../domain/template.js';
import type { WorkPackage } from '../domain/work-package.js';
import { KitError } from '../errors.js';
import { loadFeatures, readFeatureMeta } from '../io/feature-store.js';
import { createFileExclusive, readTextFile, toRepoPath, writeFileAtomic } from '../io/files.js';
import { editFrontmatter, type FrontmatterEdit, loadYaml, renderScalar } from '../io/frontmatter.js';
import { withLock } from '../io/lock.js';
import { readTemplate } from '../io/templates.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import { selectFeature } from './feature-selection.js';

export interface TasksResult {
  feature: string;
  tasksFile: string;
  /** True when tasks.md did not exist and kit wrote its template instead of WP files. */
  wroteTemplate: boolean;
  created: { id: string; file: string }[];
  updated: { id: string; file: string; fields: string[] }[];
  unchanged: { id: string; file: string }[];
  warnings: string[];
}

interface PendingWrite {
  path: string;
  content: string;
  create: boolean;
}

/**
 * Turns tasks.md into one file per work package. New WPs start in `planned` with a history entry; an
 * existing WP keeps its lane, body and history, and only its title, dependencies and subtasks follow
 * tasks.md. Everything is validated and rendered in memory first: on any problem nothing is written.
 */
export async function syncTasks(
  workspace: Workspace,
  input: { feature?: string | undefined; agent?: string | undefined; now: Date },
): Promise<TasksResult> {
  const feature = await selectFeature(workspace, input.feature);
  const tasksPath = join(feature.dir, 'tasks.md');
  const tasksFile = toRepoPath(workspace.root, tasksPath);
  const result: TasksResult = {
    feature: feature.name,
    tasksFile,
    wroteTemplate: false,
    created: [],
    updated: [],
    unchanged: [],
    warnings: [],
  };
  if (!existsSync(tasksPath)) {
    const { meta } = readFeatureMeta(workspace, feature);
    const values = { feature: feature.name, friendly_name: featureTitle({ meta, name: feature.name }) };
    writeFileAtomic(tasksPath, fillTemplate(readTemplate('tasks.md'), values));
    return { ...result, wroteTemplate: true };
  }

  const read = readTextFile(tasksPath);
  if (!read.ok) throw new KitError(`${tasksFile}: ${read.reason}`, { file: tasksFile });
  const document = parseTasksDocument(read.text);
  if (document.problems.length > 0) {
    throw new KitError(
      [`${tasksFile} has ${document.problems.length} problem(s); no WP file was written:`]
        .concat(document.problems.map((p) => `  ${tasksFile}:${p.line}: ${p.message}`))
        .join('\n'),
      { hint: `fix ${tasksFile}, then run kit tasks again`, file: tasksFile, line: document.problems[0]?.line ?? 1 },
    );
  }
  if (document.workPackages.length === 0) {
    throw new KitError(`${tasksFile} defines no work packages`, {
      hint: 'describe each one under a heading like "## WP01: Title" with a "Depends on: none" line',
      file: tasksFile,
    });
  }

  return withLock(kitStateDir(workspace), `tasks-${feature.name}`, async () => {
    const [loaded] = loadFeatures(workspace, [feature]);
    const existing = new Map<string, WorkPackage>();
    for (const wp of loaded?.workPackages ?? []) existing.set(wp.id, wp);
    refuseUnreadableFiles(loaded?.problems ?? [], document.workPackages, tasksFile);

    const lines = read.text.replace(/^\ufeff/, '').split(/\r?\n/);
    const writes: PendingWrite[] = [];
    const planned = document.workPackages;
    for (const [index, wp] of planned.entries()) {
      const current = existing.get(wp.id);
      if (current) {
        const edits = frontmatterUpdates(current, wp);
        const file = current.file;
        if (edits.length === 0) {
          result.unchanged.push({ id: wp.id, file });
          continue;
        }
        const path = join(workspace.root, file);
        const text = readTextFile(path);
        if (!text.ok) throw new KitError(`${file}: ${text.reason}`, { file });
        writes.push({ path, content: await editFrontmatter(text.text, edits), create: false });
        result.updated.push({ id: wp.id, file, fields: edits.map((edit) => edit.key) });
      } else {
        const section = sectionText(lines, wp.line, planned[index + 1]?.line);
        const path = join(feature.dir, 'tasks', `${wp.id}-${slugify(wp.title, 50) || 'work-package'}.md`);
        writes.push({ path, content: await renderNewWorkPackage(wp, section, input), create: true });
        result.created.push({ id: wp.id, file: toRepoPath(workspace.root, path) });
      }
    }
    const listed = new Set(planned.map((wp) => wp.id));
    for (const wp of existing.values()) {
      if (!listed.has(wp.id)) {
        result.warnings.push(`${wp.id} (${wp.file}) is not in ${tasksFile} any more; kit left its file as it is`);
      }
    }
    // New files first, each created exclusively; if one already exists the created ones are removed and
    // nothing has been updated, so a failure leaves the tree as it was.
    const created: string[] = [];
    for (const write of writes.filter((pending) => pending.create)) {
      if (!createFileExclusive(write.path, write.content)) {
        for (const path of created) rmSync(path, { force: true });
        throw new KitError(`${toRepoPath(workspace.root, write.path)} already exists`, {
          hint: 'another file already has the name kit would give this WP; rename or remove it, then run kit tasks again',
        });
      }
      created.push(write.path);
    }
    for (const write of writes.filter((pending) => !pending.create)) writeFileAtomic(write.path, write.content);
    return result;
  });
}

// A listed WP whose file kit cannot interpret would otherwise look new and get a second file.
const BLOCKING_KINDS = new Set<Problem['kind']>(['frontmatter', 'file', 'duplicate-wp', 'lane', 'wp-id']);

/** A WP whose file cannot be read cannot be updated safely: stop before writing anything. */
function refuseUnreadableFiles(
  problems: readonly Problem[],
  planned: readonly PlannedWorkPackage[],
  tasksFile: string,
) {
  const ids = new Set(planned.map((wp) => wp.id));
  const blocking = problems.filter((p) => BLOCKING_KINDS.has(p.kind) && p.wp !== null && ids.has(p.wp));
  if (blocking.length === 0) return;
  throw new KitError(
    [`cannot update work packages that ${tasksFile} lists; no WP file was written:`]
      .concat(blocking.map((p) => `  ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`))
      .join('\n'),
    { hint: 'fix those files (kit check lists every problem), then run kit tasks again' },
  );
}

function frontmatterUpdates(current: WorkPackage, wp: PlannedWorkPackage): (FrontmatterEdit & { kind: 'set' })[] {
  const edits: (FrontmatterEdit & { kind: 'set' })[] = [];
  if (current.title !== wp.title) edits.push({ kind: 'set', key: 'title', value: wp.title });
  // Dependencies are a set: a reordered line in tasks.md is not a change worth a rewrite.
  if (!sameList([...current.dependencies].sort(), [...wp.dependencies].sort())) {
    edits.push({ kind: 'set', key: 'dependencies', value: wp.dependencies });
  }
  if (!sameList(current.subtasks, wp.subtasks)) edits.push({ kind: 'set', key: 'subtasks', value: wp.subtasks });
  return edits;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** The WP's section of tasks.md, headings demoted one level so they nest under the prompt's own. */
function sectionText(lines: readonly string[], startLine: number, nextStartLine: number | undefined): string {
  const section = lines.slice(startLine - 1, (nextStartLine ?? lines.length + 1) - 1);
  while (section.length > 0 && /^\s*(?:-{3,}|\*{3,})?\s*$/.test(section[section.length - 1] ?? '')) section.pop();
  let fenced = false;
  return section
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,5}\s/.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

async function renderNewWorkPackage(
  wp: PlannedWorkPackage,
  section: string,
  input: { agent?: string | undefined; now: Date },
): Promise<string> {
  const YAML = await loadYaml();
  const scalar = (value: string) => renderScalar(YAML, value, undefined);
  const flow = (items: readonly string[]) => `[${items.map(scalar).join(', ')}]`;
  const frontmatter = [
    '---',
    `work_package_id: ${wp.id}`,
    `title: ${scalar(wp.title)}`,
    'lane: planned',
    `dependencies: ${flow(wp.dependencies)}`,
    `subtasks: ${flow(wp.subtasks)}`,
    ...(wp.phase ? [`phase: ${scalar(wp.phase)}`] : []),
    "assignee: ''",
    "agent: ''",
    "shell_pid: ''",
    "review_status: ''",
    "reviewed_by: ''",
    'history:',
    `- timestamp: ${scalar(input.now.toISOString())}`,
    '  lane: planned',
    `  agent: ${scalar(input.agent ?? 'system')}`,
    `  shell_pid: ${scalar(String(process.ppid))}`,
    '  action: Prompt generated via kit tasks',
    '---',
    '',
  ].join('\n');
  const implement =
    wp.dependencies.length === 1 ? `kit implement ${wp.id} --base ${wp.dependencies[0]}` : `kit implement ${wp.id}`;
  const body = fillTemplate(readTemplate('wp.md'), {
    wp_id: wp.id,
    title: wp.title,
    implement_command: implement,
    dependencies:
      wp.dependencies.length === 0
        ? "None: this work package starts from the feature's target branch."
        : wp.dependencies.map((id) => `- ${id}`).join('\n'),
    subtasks: wp.subtasks.length === 0 ? 'None listed in tasks.md.' : wp.subtasks.map((id) => `- [ ] ${id}`).join('\n'),
    section,
  });
  return frontmatter + body;
}

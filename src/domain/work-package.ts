/**
 * A work package as kit understands it, built from a WP file's frontmatter data. Pure: the caller reads
 * the file; this decides what the data means and which problems it has.
 */
import { type Lane, parseLane } from '../lanes/lane.js';
import { isUlid, isWorkPackageId, workPackageIdFromFileName } from './identifiers.js';
import type { Problem } from './problem.js';
import { kitLaneOfStatus } from './status-log.js';

export interface HistoryEntry {
  timestamp: string;
  lane: string;
  agent: string;
  shell_pid: string;
  action: string;
}

export interface WorkPackage {
  id: string;
  title: string;
  /** The lane kit acts on: the frontmatter lane, in the older layout the folder's lane, in 3.x the status lane's column. */
  lane: Lane;
  /**
   * In a Spec Kitty 3.x feature, the WP's own lane from its event log (planned, claimed, in_progress,
   * for_review, in_review, approved, done, blocked, canceled); null in the frontmatter layouts.
   */
  statusLane: string | null;
  dependencies: string[];
  subtasks: string[];
  phase: string | null;
  agent: string | null;
  assignee: string | null;
  shellPid: string | null;
  reviewStatus: string | null;
  reviewedBy: string | null;
  baseBranch: string | null;
  baseCommit: string | null;
  createdAt: string | null;
  history: HistoryEntry[];
  /** Repository-relative path, forward slashes. */
  file: string;
  /** In the older layout (`tasks/<lane>/WP01-x.md`), the lane the folder says. */
  folderLane: Lane | null;
  /** 1-based line of each top-level frontmatter key, so problems can point at it. */
  keyLines: Record<string, number>;
}

export interface WorkPackageSource {
  file: string;
  fileName: string;
  /** The lane folder the file sits in (`tasks/doing/`), or null for the flat layout. */
  folder: string | null;
  data: Record<string, unknown>;
  keyLines: Record<string, number>;
  /**
   * Set for a 3.x feature, whose lanes live in status.events.jsonl: the WP's lane there (null when the
   * log has none for it). The frontmatter `lane` is then ignored, as 3.x ignores it.
   */
  statusLane?: { lane: string | null } | undefined;
  /** With statusLane: the lane of a WP id, looked up once the id is known. */
  laneOf?: ((id: string) => string | null) | undefined;
}

export interface InterpretedWorkPackage {
  workPackage: WorkPackage | null;
  problems: Omit<Problem, 'feature'>[];
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function list(value: unknown): string[] | undefined {
  if (value === null || value === undefined || value === '') return [];
  if (typeof value === 'string') {
    // A comma-separated scalar (`dependencies: WP01, WP02`) is a list written by hand; a quoted flow list
    // (`dependencies: "[WP01]"`, `"[]"`) is one written by a tool that quoted it.
    const inner = /^\s*\[(.*)\]\s*$/s.exec(value)?.[1] ?? value;
    return inner
      .split(',')
      .map((item) => item.trim().replace(/^(['"])(.*)\1$/, '$2'))
      .map((item) => item.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.map((item) => text(item)?.trim() ?? '').filter(Boolean);
  return undefined;
}

function history(value: unknown): HistoryEntry[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object')
    .map((entry) => ({
      timestamp: text(entry.timestamp) ?? '',
      lane: text(entry.lane) ?? '',
      agent: text(entry.agent) ?? '',
      shell_pid: text(entry.shell_pid) ?? '',
      action: text(entry.action) ?? '',
    }));
}

/** Builds a WorkPackage from a WP file's frontmatter, with every problem the file has. */
export function interpretWorkPackage(source: WorkPackageSource): InterpretedWorkPackage {
  const { data, keyLines, file } = source;
  const problems: Omit<Problem, 'feature'>[] = [];
  const fileId = workPackageIdFromFileName(source.fileName);
  // 3.x may keep a ULID in work_package_id and the WP code in wp_code; the code (or the file name) is the id.
  const workPackageId = text(data.work_package_id)?.trim();
  const code = text(data.wp_code)?.trim();
  const declaredId =
    workPackageId && isUlid(workPackageId)
      ? code && isWorkPackageId(code)
        ? code
        : undefined
      : (workPackageId ?? (code && isWorkPackageId(code) ? code : undefined));
  const id = declaredId ?? fileId ?? null;
  const report = (kind: Problem['kind'], key: string | null, message: string) =>
    problems.push({ kind, wp: id, file, line: key ? (keyLines[key] ?? null) : null, message });

  if (!id || !isWorkPackageId(id)) {
    report(
      'wp-id',
      declaredId ? 'work_package_id' : null,
      `"${id ?? source.fileName}" is not a WP id (WP + 2 or 3 digits)`,
    );
  } else if (fileId && declaredId && fileId !== declaredId) {
    report('wp-id', 'work_package_id', `work_package_id is ${declaredId} but the file name says ${fileId}`);
  }

  const rawStatusLane = source.statusLane ? (id && source.laneOf ? source.laneOf(id) : source.statusLane.lane) : null;
  // An annotation-only WP ("uninitialized" in 3.x) has no lane either.
  const statusLane = rawStatusLane === 'uninitialized' ? null : rawStatusLane;
  const rawLane = source.statusLane ? undefined : data.lane;
  const lane = source.statusLane ? (statusLane ? kitLaneOfStatus(statusLane) : undefined) : parseLane(rawLane);
  // In a 3.x feature the log is the authority, even for a file that sits in a lane folder.
  const folderLane = source.folder === null || source.statusLane ? null : (parseLane(source.folder) ?? null);
  if (source.statusLane) {
    if (!statusLane) {
      report(
        'lane',
        null,
        `${id ?? source.fileName} has no lane: status.events.jsonl records no lane event for it (3.x records "planned" when it finalizes the tasks)`,
      );
    }
  } else if (rawLane === undefined || rawLane === null || rawLane === '') {
    if (!folderLane) report('lane', null, 'the frontmatter has no lane (planned, doing, for_review or done)');
  } else if (!lane) {
    report('lane', 'lane', `unknown lane "${String(rawLane)}": use planned, doing, for_review or done`);
  }
  if (lane && folderLane && lane !== folderLane) {
    report(
      'lane-mismatch',
      'lane',
      `the file is in the ${folderLane}/ folder but its frontmatter says lane: ${lane}; ` +
        `kit uses the folder: set lane: ${folderLane} or move the file to tasks/${lane}/`,
    );
  }

  const dependencies = list(data.dependencies);
  if (dependencies === undefined) report('dependency', 'dependencies', 'dependencies must be a list of WP ids');
  for (const dependency of dependencies ?? []) {
    if (!isWorkPackageId(dependency)) {
      report('dependency', 'dependencies', `dependency "${dependency}" is not a WP id (WP + 2 or 3 digits)`);
    }
  }
  const subtasks = list(data.subtasks);
  if (subtasks === undefined) report('frontmatter', 'subtasks', 'subtasks must be a list');

  // A 3.x WP the log does not place is still shown (as planned), with the problem above failing the gate.
  const effectiveLane = folderLane ?? lane ?? (source.statusLane ? 'planned' : undefined);
  if (!id || !isWorkPackageId(id) || !effectiveLane) return { workPackage: null, problems };
  return {
    workPackage: {
      id,
      title: text(data.title)?.trim() ?? '',
      lane: effectiveLane,
      statusLane,
      dependencies: [...new Set((dependencies ?? []).filter(isWorkPackageId))],
      subtasks: subtasks ?? [],
      phase: text(data.phase),
      agent: text(data.agent),
      assignee: text(data.assignee),
      shellPid: text(data.shell_pid),
      reviewStatus: text(data.review_status),
      reviewedBy: text(data.reviewed_by),
      baseBranch: text(data.base_branch),
      baseCommit: text(data.base_commit),
      createdAt: text(data.created_at),
      history: history(data.history),
      file,
      folderLane,
      keyLines,
    },
    problems,
  };
}

/** Where a WP file belongs in a lane: the same path, or in the older layout the new lane's folder. */
export function fileForLane(wp: Pick<WorkPackage, 'file' | 'folderLane'>, lane: Lane): string {
  if (wp.folderLane === null) return wp.file;
  return wp.file.replace(/\/tasks\/[^/]+\/([^/]+)$/, `/tasks/${lane}/$1`);
}

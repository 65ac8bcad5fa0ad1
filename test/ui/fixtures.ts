/** Board test data: `kit status` results built in memory, and a fake data source for the container. */
import type { Lane } from '../../src/lanes/lane.js';
import type { WorkPackageDetail } from '../../src/services/board-detail.js';
import type { StatusFeature, StatusGit, StatusResult, StatusWorkPackage } from '../../src/services/status.js';
import type { BoardSource } from '../../src/ui/board-app.js';
import type { BoardCard } from '../../src/ui/state/board-state.js';

export const NOW = Date.parse('2026-03-01T12:00:00Z');

export function git(overrides: Partial<StatusGit> = {}): StatusGit {
  return {
    tip: 'a'.repeat(40),
    ahead: 0,
    behind: {},
    staleBase: false,
    uncommitted: 0,
    uncommittedFiles: [],
    lastCommitAt: new Date(NOW - 5 * 60_000).toISOString(),
    lastCommitAgeSeconds: 300,
    locked: false,
    ...overrides,
  };
}

export function wp(id: string, lane: Lane, overrides: Partial<StatusWorkPackage> = {}): StatusWorkPackage {
  return {
    id,
    title: `Title of ${id}`,
    lane,
    statusLane: null,
    dependencies: [],
    blockedBy: [],
    agent: null,
    branch: null,
    worktree: null,
    file: `kitty-specs/001-x/tasks/${id}-x.md`,
    git: null,
    claimedElsewhere: null,
    staleBase: [],
    conflicts: null,
    ...overrides,
  };
}

export function feature(id: string, workPackages: StatusWorkPackage[], title = `Feature ${id}`): StatusFeature {
  const done = workPackages.filter((candidate) => candidate.lane === 'done').length;
  return {
    id,
    title,
    format: '1.x',
    laneStatus: null,
    targetBranch: 'main',
    progress: {
      done,
      total: workPackages.length,
      percent: workPackages.length === 0 ? 0 : Math.round((done / workPackages.length) * 100),
    },
    workPackages: workPackages.map((candidate) => ({
      ...candidate,
      file: candidate.file.replace('001-x', id),
    })),
    problems: [],
  };
}

export function status(...features: StatusFeature[]): StatusResult {
  return { schemaVersion: 1, sync: null, features };
}

/** The diamond of the integration tests, with a branch here and there. */
export function sampleStatus(): StatusResult {
  return status(
    feature(
      '001-x',
      [
        wp('WP01', 'done', { title: 'Set up the core', agent: 'claude' }),
        wp('WP02', 'doing', {
          title: 'Build the parser',
          agent: 'codex',
          dependencies: ['WP01'],
          branch: '001-x-WP02',
          worktree: '/repo/.worktrees/001-x-WP02',
          git: git({ ahead: 3, uncommitted: 2, uncommittedFiles: ['a.ts', 'b.ts'], behind: { WP01: 1 } }),
        }),
        wp('WP03', 'for_review', { title: 'Build the printer', agent: 'gemini', dependencies: ['WP01'] }),
        wp('WP04', 'planned', { title: 'Wire the CLI', dependencies: ['WP02', 'WP03'], blockedBy: ['WP02', 'WP03'] }),
        wp('WP05', 'planned', { title: 'Write the docs' }),
      ],
      'The x feature',
    ),
    feature('002-y', [wp('WP01', 'planned', { title: 'Plan the y' }), wp('WP02', 'doing', { title: 'Do the y' })]),
  );
}

export function detailOf(card: BoardCard): WorkPackageDetail {
  return {
    file: card.wp.file,
    source: 'working tree',
    frontmatter: {
      work_package_id: card.wp.id,
      title: card.wp.title,
      lane: card.wp.lane,
      dependencies: card.wp.dependencies,
      history: [{ timestamp: '2026-01-01T00:00:00Z', lane: 'planned', agent: 'system', action: 'Prompt generated' }],
    },
    body: `# ${card.wp.id}: ${card.wp.title}\n\nThe body of ${card.wp.id}.\n\n${Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of the body.`).join('\n')}\n`,
    problem: null,
  };
}

/** A data source whose data the test changes, and whose "watcher" the test fires. */
export class FakeSource implements BoardSource {
  loads = 0;
  /** The changed paths each load was asked for. */
  changes: (readonly string[] | null)[] = [];
  followed: string[][] = [];
  closed = false;
  private listener: ((paths: readonly string[]) => void) | undefined;

  constructor(public data: StatusResult) {}

  load = async (changed: readonly string[] | null): Promise<StatusResult> => {
    this.loads++;
    this.changes.push(changed);
    return structuredClone(this.data);
  };

  detail = async (card: BoardCard): Promise<WorkPackageDetail> => detailOf(card);

  watch = (onChange: (paths: readonly string[]) => void) => {
    this.listener = onChange;
    return {
      follow: (worktrees: readonly string[], _since: number) => {
        this.followed.push([...worktrees]);
      },
      close: () => {
        this.closed = true;
      },
    };
  };

  /** Pretends the watcher saw a change of these paths. */
  change(data: StatusResult, paths: readonly string[] = ['/repo/kitty-specs/001-x/tasks/WP05-x.md']): void {
    this.data = data;
    this.listener?.(paths);
  }
}

/** The plain board of `kit status`: every line fits 80 columns, like Spec Kitty's documented board. */
import { byLane, isCanceled } from '../domain/board.js';
import { statusLaneMark } from '../ui/state/marks.js';
import { LANES, type Lane } from '../lanes/lane.js';
import type { StatusFeature, StatusResult, StatusWorkPackage } from '../services/status.js';

const WIDTH = 80;
const LANE_TITLES: Record<Lane, string> = {
  planned: 'PLANNED',
  doing: 'DOING',
  for_review: 'FOR REVIEW',
  done: 'DONE',
};

function fitColumn(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`;
}

/** "3m", "5h", "2d": the age of the last commit. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Compact git marks for one WP: `↑3 ✎2 ⚠behind WP01 5m`, or what blocks a planned WP. */
export function gitMarks(wp: StatusWorkPackage): string {
  const status = statusLaneMark(wp);
  const rest = gitOnlyMarks(wp);
  return status ? `[${status.text}] ${rest}` : rest;
}

function gitOnlyMarks(wp: StatusWorkPackage): string {
  if (wp.claimedElsewhere) {
    const { agent, host } = wp.claimedElsewhere;
    return `claimed by ${agent || 'unknown'}${host ? `@${host}` : ''}`;
  }
  if (wp.blockedBy.length > 0) return `blocked by ${wp.blockedBy.join(', ')}`;
  // As on the live board: only work in progress or in review is missing something without a branch.
  if (!wp.git) return wp.lane === 'planned' ? 'ready' : wp.lane === 'done' ? '' : 'no branch';
  const marks = [`↑${wp.git.ahead}`];
  if (wp.git.uncommitted === null) marks.push(wp.worktree ? '✎?' : 'no worktree');
  else if (wp.git.uncommitted > 0) marks.push(`✎${wp.git.uncommitted}`);
  const stale = Object.entries(wp.git.behind).filter(([, count]) => count > 0);
  if (stale.length > 0) marks.push(`⚠behind ${stale.map(([id, count]) => `${id}+${count}`).join(',')}`);
  if (wp.conflicts && wp.conflicts.length > 0)
    marks.push(`✗${wp.conflicts.map((conflict) => conflict.with).join(',')}`);
  marks.push(formatAge(wp.git.lastCommitAgeSeconds));
  return marks.join(' ');
}

function progressBar(feature: StatusFeature, width: number): string {
  const filled =
    feature.progress.total === 0 ? 0 : Math.round((feature.progress.done / feature.progress.total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function renderFeature(feature: StatusFeature): string[] {
  const lines = [
    fitColumn(`${feature.id}: ${feature.title}`, WIDTH).trimEnd(),
    `${progressBar(feature, 30)} ${feature.progress.done}/${feature.progress.total} done (${feature.progress.percent}%)  target ${feature.targetBranch}`.slice(
      0,
      WIDTH,
    ),
  ];
  const lanes = byLane(feature.workPackages);
  const canceled = feature.workPackages.filter(isCanceled);
  const sections: [string, StatusWorkPackage[]][] = LANES.map((lane) => [LANE_TITLES[lane], lanes[lane]]);
  if (canceled.length > 0) sections.push(['CANCELED', canceled]);
  for (const [title, wps] of sections) {
    lines.push('', `${title} (${wps.length})`);
    for (const wp of wps) {
      // 2 + 6 (id) + 30 (title) + 1 + 12 (agent) + 1 + 28 (marks) = 80 columns.
      const line = `  ${wp.id.padEnd(6)}${fitColumn(wp.title, 30)} ${fitColumn(wp.agent ?? '', 12)} ${fitColumn(gitMarks(wp), 28)}`;
      lines.push(line.trimEnd());
    }
  }
  lines.push(...stackLines(feature));
  for (const problem of feature.problems) lines.push(`  ! ${problem.file ?? ''} ${problem.message}`.slice(0, WIDTH));
  return lines;
}

/** Under the lanes: each stale base with the command that fixes it, and each forecast conflict with its files. */
function stackLines(feature: StatusFeature): string[] {
  const lines: string[] = [];
  for (const wp of feature.workPackages) {
    if (wp.staleBase.length === 0) continue;
    const behind = wp.staleBase.map((stale) => `${stale.dependency} +${stale.newCommits}`).join(', ');
    // With --feature (its number when it has one: short), so it runs from the main checkout of a repository
    // with several features too; never cut to the width: when it does not fit, it goes on a line of its own.
    const command = `kit restack ${wp.id} --feature ${/^(\d+)-/.exec(feature.id)?.[1] ?? feature.id}`;
    const line = `  ⚠ ${wp.id} stale base (${behind}): ${command}`;
    if (line.length <= WIDTH) lines.push(line);
    else lines.push(`  ⚠ ${wp.id} stale base (${behind}):`.slice(0, WIDTH), `      ${command}`);
  }
  for (const wp of feature.workPackages) {
    for (const conflict of wp.conflicts ?? []) {
      // Each pair once, from its first WP.
      if (conflict.with < wp.id) continue;
      lines.push(`  ✗ ${wp.id} and ${conflict.with} would conflict in ${conflict.files.join(', ')}`.slice(0, WIDTH));
    }
  }
  return lines.length > 0 ? ['', ...lines] : lines;
}

export function renderStatus(result: StatusResult): string {
  if (result.features.length === 0) return 'No features yet: kit specify "<description>" creates one.';
  const blocks = result.features.map((feature) => renderFeature(feature).join('\n'));
  if (result.sync) {
    const { remote, ageSeconds } = result.sync;
    blocks.unshift(
      ageSeconds === null
        ? `Never synced with ${remote}: claims made on other machines are not shown (kit sync).`
        : `Synced with ${remote} ${formatAge(ageSeconds)} ago (kit sync, or kit status --sync, to refresh).`,
    );
  }
  const legend = [
    'Marks: ↑ commits ahead of base · ✎ uncommitted files · ⚠ behind a dependency',
    '       (new commits there since this WP branched) · ✗ would conflict with',
    '       that WP if both merged · age of the last commit',
  ];
  if (result.features.some((feature) => feature.format === '3.x')) {
    legend.push('       [approved] a Spec Kitty 3.x lane its column does not name');
  }
  blocks.push(legend.join('\n'));
  return blocks.join('\n\n');
}

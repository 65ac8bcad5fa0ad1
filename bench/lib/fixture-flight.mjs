// The "flight" fixture: the merge repository (5,000 files, one feature of 20 WPs, each on its own branch
// with a live worktree) with every WP moved back to doing, so all 20 are in flight and `kit status`
// forecasts conflicts between each of the 190 pairs. Main goes to a commit on top of the pre-merge commit
// that only changes the lanes of the 20 WP files; `flightLanes` / `doneLanes` switch between the two (for
// the baseline with the same repository and no WP in flight).
import { join } from 'node:path';
import { git } from './generate.mjs';
import { resetMergeRepo } from './merge-repo.mjs';

/** Builds (or finds) the commit with every WP in doing, and checks main out at it. */
export async function enterFlight(repo) {
  await resetMergeRepo(repo);
  const index = join(repo.dir, '.git', 'kit-bench-flight-index');
  const env = { GIT_INDEX_FILE: index };
  git(repo.dir, ['read-tree', repo.pre], { env });
  const files = git(repo.dir, ['ls-tree', '-r', '--name-only', repo.pre, '--', `kitty-specs/${repo.feature}/tasks`])
    .split('\n')
    .filter((path) => /\/WP\d+[^/]*\.md$/.test(path));
  const entries = files.map((path) => {
    const text = git(repo.dir, ['show', `${repo.pre}:${path}`]);
    const blob = git(repo.dir, ['hash-object', '-w', '--stdin'], {
      input: `${text.replace(/^lane: .*$/m, 'lane: "doing"')}\n`,
    });
    return `100644 ${blob}\t${path}`;
  });
  git(repo.dir, ['update-index', '--index-info'], { env, input: `${entries.join('\n')}\n` });
  const tree = git(repo.dir, ['write-tree'], { env });
  const flight = git(repo.dir, ['commit-tree', tree, '-p', repo.pre, '-m', `kit: ${repo.feature}: every WP in doing`]);
  const flying = { ...repo, flight, wpFiles: files.length };
  flightLanes(flying);
  return flying;
}

function checkout(repo, commit) {
  if (git(repo.dir, ['rev-parse', 'HEAD']) === commit) return;
  git(repo.dir, ['update-ref', 'refs/heads/main', commit]);
  git(repo.dir, ['reset', '-q', '--hard', commit]);
}

/** Main at the commit with every WP in doing. */
export function flightLanes(repo) {
  checkout(repo, repo.flight);
}

/** Main at the pre-merge commit: the same WPs, done (not in flight: nothing is forecast). */
export function doneLanes(repo) {
  checkout(repo, repo.pre);
}

// The repository `kit merge` is measured in: 5,000 files of code (by default) and one feature whose 20 WPs
// are all done, each on its own branch with one or two commits and a live worktree. The dependencies mix
// chains (WP01 → WP02 → WP03), a fan-out (WP05, WP06 and WP07 on WP04), a diamond (WP08 on WP05 + WP06,
// started from a merge of both as kit implement makes it) and independent WPs; every WP changes its own
// files, so the merge is clean. Generated deterministically (fixed dates, seeded content) once, reused
// while its marker matches.
//
// Pre-merge state: main at the commit with every WP done ("PRE"), every WP branch at its tip, a worktree
// per WP, no kit merge state and no archive refs. A merge changes that (main moves, and without
// --keep-worktrees the worktrees and branches go), so `resetMergeRepo` puts it back before each run: main
// and the checkout reset to PRE (`git reset --hard` rewrites only the files the merge changed), the WP
// branches set back from saved refs (`refs/bench/pre/*`, which also keep every commit reachable), kit's
// merge state and `refs/kit/*` deleted, and the worktrees that are gone re-added (`git worktree add`, 4 at a
// time, then each index refreshed once its files are a second old). A worktree is re-created rather than
// copied (`cp -a`) because a copy's files have new inode numbers and ctimes, so git would re-read every
// file of it on the next `git status`, and that would be measured as kit's time.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  featureName,
  git,
  KIT_CONFIG,
  metaJson,
  planMd,
  plannedWp,
  rng,
  specMd,
  tasksMd,
  wpFile,
  wpFileName,
} from './generate.mjs';
import { addWorktrees, gitAsync, mapLimited, settle } from './worktrees.mjs';

/** Bump whenever what is generated changes. */
export const MERGE_GENERATOR_VERSION = 1;
const MARKER = 'kit-bench.json';
const FEATURE_INDEX = 1;

export function mergeRepoKey(params) {
  return `kit-bench-merge-v${MERGE_GENERATOR_VERSION}-files${params.files}-wps${params.wps}`;
}

const pad = (value, width) => String(value).padStart(width, '0');
const wpId = (index) => `WP${pad(index, 2)}`;

/**
 * Dependencies of WP `i` (1-based), by its position in a group of ten: a chain of three, a fan-out of
 * three from one WP, a diamond on two of those, a chain after it, and an independent one.
 */
export function mergeDependencies(i) {
  const byPosition = [[], [i - 1], [i - 1], [], [i - 1], [i - 2], [i - 3], [i - 3, i - 2], [i - 1], []];
  return byPosition[(i - 1) % 10].filter((d) => d >= 1);
}

function codePath(k) {
  return `src/mod${pad(Math.floor(k / 50), 3)}/unit${pad(k, 4)}.ts`;
}

function codeFile(k) {
  const r = rng(31, k);
  const name = `Unit${k}`;
  const lines = [
    `// ${codePath(k)}: generated for kit's benchmark.`,
    `import { clamp } from '../mod000/unit0000';`,
    '',
    `export interface ${name}Options {`,
    '  name: string;',
    '  retries: number;',
    '  timeoutMs?: number;',
    '}',
    '',
  ];
  for (let f = 0; f < r.int(2, 6); f++) {
    lines.push(
      `export function ${name.toLowerCase()}Step${f}(options: ${name}Options, value: number): number {`,
      `  const limit = options.retries * ${r.int(2, 99)} + ${f};`,
      `  if (value > limit) return clamp(value - ${r.int(1, 9)}, 0, limit);`,
      `  return value + options.name.length * ${r.int(1, 7)};`,
      '}',
      '',
    );
  }
  return lines.join('\n');
}

/** What WP `i`'s commit `c` appends to each of its files. */
function wpBlock(i, c) {
  return [
    `export function wp${pad(i, 2)}Part${c}(value: number): number {`,
    `  // Added by ${wpId(i)}, commit ${c}.`,
    `  return value * ${i} + ${c};`,
    '}',
    '',
  ].join('\n');
}

function readMarker(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, '.git', MARKER), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The merge repository under `root`, generated or reused. Returns its description: `dir`, `feature`,
 * `pre` (main's pre-merge commit), `branches` (branch → tip), `worktrees` ({ path, branch }), `result` (the
 * commit a plain sequential merge of every WP gives), and whether it was reused.
 */
export function ensureMergeRepo(root, params, { fresh = false, log = () => {} } = {}) {
  const dir = join(root, mergeRepoKey(params));
  const marker = readMarker(dir);
  if (
    !fresh &&
    marker?.complete === true &&
    marker.version === MERGE_GENERATOR_VERSION &&
    marker.params?.files === params.files &&
    marker.params?.wps === params.wps
  ) {
    return { ...marker, dir, reused: true };
  }
  const started = performance.now();
  log(`generating the merge repository (${params.files} files, ${params.wps} done WPs) in ${dir} ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Kit Bench']);
  git(dir, ['config', 'user.email', 'bench@example.invalid']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  git(dir, ['config', 'core.autocrlf', 'false']);
  git(dir, ['config', 'gc.auto', '0']);
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '# kit: one git worktree per work package\n/.worktrees/\n');
  const write = (path, text) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('README.md', '# kit merge benchmark repository\n\nGenerated by bench/run.mjs. Do not edit.\n');
  write('.kit/config.yaml', KIT_CONFIG);
  for (let k = 0; k < params.files; k++) write(codePath(k), codeFile(k));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `Initial code: ${params.files} files`]);

  // Planning: every WP planned, committed on main (the base of the WPs without dependencies).
  const feature = featureName(FEATURE_INDEX);
  const specs = `kitty-specs/${feature}`;
  const wpObject = (i, lane) => {
    const wp = plannedWp(FEATURE_INDEX, 1, i, params.wps, false);
    return { ...wp, lane, dependencies: mergeDependencies(i).map(wpId) };
  };
  const tasks = (lane) =>
    tasksMd(
      FEATURE_INDEX,
      Array.from({ length: params.wps }, (_, i) => ({ ...wpObject(i + 1, lane), r: rng(23, FEATURE_INDEX, i + 1) })),
    );
  write(`${specs}/meta.json`, metaJson(FEATURE_INDEX));
  write(`${specs}/spec.md`, specMd(FEATURE_INDEX));
  write(`${specs}/plan.md`, planMd(FEATURE_INDEX));
  write(`${specs}/tasks.md`, tasks('planned'));
  const wpFiles = [];
  for (let i = 1; i <= params.wps; i++) {
    const wp = wpObject(i, 'planned');
    wpFiles[i] = `${specs}/tasks/${wpFileName(wp)}`;
    write(wpFiles[i], wpFile(wp));
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `Plan ${feature}: ${params.wps} work packages`]);
  const planned = git(dir, ['rev-parse', 'HEAD']);

  // The WP branches, built with plumbing (a temporary index): no checkout needed.
  const index = join(dir, '.git', 'kit-bench-index');
  const stride = Math.max(2, Math.floor(params.files / params.wps));
  const tips = new Map();
  const bases = new Map();
  for (let i = 1; i <= params.wps; i++) {
    const deps = mergeDependencies(i);
    let base = planned;
    let baseBranches = ['main'];
    if (deps.length === 1) {
      base = tips.get(deps[0]);
      baseBranches = [`${feature}-${wpId(deps[0])}`];
    } else if (deps.length > 1) {
      // As kit implement builds it: merge-tree of the dependency tips, one commit with both as parents.
      const [tree] = git(dir, ['merge-tree', '--write-tree', ...deps.map((d) => tips.get(d))]).split('\n');
      base = git(dir, [
        'commit-tree',
        tree,
        ...deps.flatMap((d) => ['-p', tips.get(d)]),
        '-m',
        `kit: base for ${wpId(i)} (merges ${deps.map(wpId).join(', ')})`,
      ]);
      baseBranches = deps.map((d) => `${feature}-${wpId(d)}`);
    }
    bases.set(i, { commit: base, branches: baseBranches });
    const own = [0, 1].map((j) => ((i - 1) * stride + j * Math.max(1, Math.floor(stride / 2))) % params.files);
    let tip = base;
    const commits = i % 2 === 1 ? 2 : 1;
    for (let c = 1; c <= commits; c++) {
      const files = own.map((k) => ({
        path: codePath(k),
        content: codeFile(k) + Array.from({ length: c }, (_, n) => wpBlock(i, n + 1)).join('\n'),
      }));
      files.push({
        path: `src/features/${feature}/${wpId(i).toLowerCase()}-part${c}.ts`,
        content: `// ${wpId(i)}, commit ${c}\n${wpBlock(i, c)}`,
      });
      tip = commitOnto(dir, index, tip, files, `${wpId(i)}: ${c === 1 ? 'Implement' : 'Address review feedback'}`);
    }
    tips.set(i, tip);
  }
  rmSync(index, { force: true });

  // Every WP done on main, with its real base, as kit implement and kit move leave it.
  for (let i = 1; i <= params.wps; i++) {
    const base = bases.get(i);
    const text = wpFile(wpObject(i, 'done'))
      .replace(/^base_branch: .*$/m, `base_branch: ${base.branches.join(', ')}`)
      .replace(/^base_commit: .*$/m, `base_commit: ${base.commit}`);
    write(wpFiles[i], text);
  }
  write(`${specs}/tasks.md`, tasks('done'));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `kit: ${feature}: ${params.wps} work packages done`]);
  const pre = git(dir, ['rev-parse', 'HEAD']);

  // What merging every WP in order gives (for the plain-git baseline's checkout sync).
  let result = pre;
  for (let i = 1; i <= params.wps; i++) {
    const [tree] = git(dir, ['merge-tree', '--write-tree', result, tips.get(i)]).split('\n');
    result = git(dir, ['commit-tree', tree, '-p', result, '-p', tips.get(i), '-m', `Merge ${wpId(i)}`]);
  }

  const branches = {};
  const updates = [`update refs/bench/pre/main ${pre}`, `update refs/bench/result ${result}`];
  for (let i = 1; i <= params.wps; i++) {
    const branch = `${feature}-${wpId(i)}`;
    branches[branch] = tips.get(i);
    updates.push(`update refs/heads/${branch} ${tips.get(i)}`, `update refs/bench/pre/${branch} ${tips.get(i)}`);
  }
  git(dir, ['update-ref', '--stdin'], { input: `${updates.join('\n')}\n` });
  const description = {
    complete: true,
    version: MERGE_GENERATOR_VERSION,
    params,
    feature,
    featureNumber: pad(FEATURE_INDEX, 3),
    pre,
    result,
    branches,
    generateMs: Math.round(performance.now() - started),
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, '.git', MARKER), `${JSON.stringify(description, null, 2)}\n`);
  log(`generated the merge repository in ${description.generateMs} ms`);
  return { ...description, dir, reused: false };
}

/** One commit on `parent` that writes `files` ({ path, content }), built in a temporary index. */
function commitOnto(dir, index, parent, files, message) {
  const env = { GIT_INDEX_FILE: index };
  git(dir, ['read-tree', parent], { env });
  const entries = files.map(({ path, content }) => {
    const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: content });
    return `100644 ${blob}\t${path}`;
  });
  git(dir, ['update-index', '--index-info'], { env, input: `${entries.join('\n')}\n` });
  const tree = git(dir, ['write-tree'], { env });
  return git(dir, ['commit-tree', tree, '-p', parent, '-m', message]);
}

/** Where the worktree of a WP branch lives (kit's default layout). */
export function mergeWorktreePath(repo, branch) {
  return join(repo.dir, '.worktrees', branch);
}

/**
 * Puts the merge repository back in its pre-merge state (see the top of this file). With `detach`, the
 * main checkout is left on a detached HEAD at the same commit, so no checkout has main out and kit merge
 * has no checkout to sync. Returns how many worktrees had to be re-created or repaired.
 */
export async function resetMergeRepo(repo, { detach = false } = {}) {
  const { dir } = repo;
  git(dir, ['update-ref', 'refs/heads/main', repo.pre]);
  git(dir, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  git(dir, ['reset', '-q', '--hard', repo.pre]);
  rmSync(join(dir, '.git', 'kit', 'merge'), { recursive: true, force: true });
  const updates = git(dir, ['for-each-ref', '--format=%(refname)', 'refs/kit'])
    .split('\n')
    .filter(Boolean)
    .map((ref) => `delete ${ref}`);
  for (const [branch, tip] of Object.entries(repo.branches)) updates.push(`update refs/heads/${branch} ${tip}`);
  git(dir, ['update-ref', '--stdin'], { input: `${updates.join('\n')}\n` });
  git(dir, ['worktree', 'prune']);
  const present = new Set(
    git(dir, ['worktree', 'list', '--porcelain'])
      .split('\n')
      .filter((line) => line.startsWith('branch refs/heads/'))
      .map((line) => line.slice('branch refs/heads/'.length)),
  );
  const missing = Object.keys(repo.branches)
    .filter((branch) => !present.has(branch))
    .map((branch) => ({ path: mergeWorktreePath(repo, branch), branch }));
  for (const worktree of missing) {
    if (existsSync(worktree.path)) rmSync(worktree.path, { recursive: true, force: true });
  }
  // A worktree that is there must be a clean checkout of its branch (an interrupted run may have left one
  // half made); `status` is cheap on a refreshed index.
  const kept = Object.keys(repo.branches).filter((branch) => present.has(branch));
  const dirty = (
    await mapLimited(kept, 4, async (branch) => {
      const path = mergeWorktreePath(repo, branch);
      const status = await gitAsync(path, ['status', '--porcelain', '--ignored']).catch(() => 'broken');
      return status === '' ? null : path;
    })
  ).filter(Boolean);
  await mapLimited(dirty, 4, async (path) => {
    await gitAsync(path, ['reset', '-q', '--hard']);
    await gitAsync(path, ['clean', '-ffdxq']);
  });
  await addWorktrees(dir, missing, { settle: dirty.length === 0 });
  if (dirty.length > 0) await settle([...dirty, ...missing.map((worktree) => worktree.path)]);
  if (detach) git(dir, ['checkout', '-q', '--detach']);
  return missing.length + dirty.length;
}

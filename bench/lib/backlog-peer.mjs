// The peer kit is compared with: Backlog.md 1.52 (the `backlog` CLI, a markdown-task tracker in git), its
// `backlog task list --plain` on as many tasks as kit's planning repository has WPs. It is installed from
// the npm registry into the bench's own directory (`<dir>/backlog-peer/`, never into kit's node_modules),
// once; it ships its program as a platform package (an optional dependency, backlog.md-<os>-<cpu>), which
// the bench runs directly, so node's start-up for the package's small launcher script is not charged to it.
// When it cannot be installed (no registry, no package for this platform) the scenario is skipped with a note.
//
// The tasks are written as `backlog task create` writes them (checked against 1.52.0): `backlog/tasks/
// task-N - Title-with-dashes.md`, YAML frontmatter (id TASK-N, title, status, assignee, created_date,
// labels, dependencies, priority, ordinal) and a body of marked sections (description, acceptance
// criteria, plan, notes). `backlog init --defaults` makes the project; writing 2,000 files directly instead
// of 2,000 `task create` runs (~0.2 s each) takes a second. After generating, the bench checks that
// `backlog task list --plain` lists every task.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from './generate.mjs';

export const BACKLOG_VERSION = '1.52.x';
/** Bump when the generated tasks change, so older peer repositories are regenerated. */
const PEER_GENERATOR_VERSION = 1;
const MARKER = 'kit-bench-backlog.json';

export class PeerUnavailable extends Error {}

function run(command, args, cwd, options = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) throw result.error;
  return result;
}

/** Installs backlog.md into `<root>/backlog-peer/` (once); the path of its platform program. */
export function installBacklog(root, log) {
  const dir = join(root, 'backlog-peer');
  mkdirSync(dir, { recursive: true });
  const platformPackage = `backlog.md-${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const program = join(dir, 'node_modules', platformPackage, process.platform === 'win32' ? 'backlog.exe' : 'backlog');
  const installed = () => {
    try {
      const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', 'backlog.md', 'package.json'), 'utf8'));
      return version.startsWith('1.52.') && existsSync(program) ? version : null;
    } catch {
      return null;
    }
  };
  let version = installed();
  if (!version) {
    log(`installing backlog.md@${BACKLOG_VERSION} into ${dir}`);
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    let result;
    try {
      result = run(npm, ['install', '--no-audit', '--no-fund', '--no-save', `backlog.md@${BACKLOG_VERSION}`], dir, {
        timeout: 300_000,
      });
    } catch (error) {
      throw new PeerUnavailable(`could not run npm to install backlog.md: ${error.message}`);
    }
    version = installed();
    if (result.status !== 0 || !version) {
      const why = `${result.stderr}`.trim().split('\n').slice(-3).join(' | ');
      throw new PeerUnavailable(
        `backlog.md@${BACKLOG_VERSION} could not be installed (no ${platformPackage}?)${why ? `: ${why}` : ''}`,
      );
    }
  }
  return { dir, program, version };
}

const WORDS = [
  'webhook',
  'billing',
  'search',
  'auth',
  'export',
  'session',
  'inventory',
  'scheduler',
  'report',
  'tenant',
  'import',
  'cache',
  'payment',
  'catalog',
  'profile',
  'retry',
  'queue',
  'schema',
  'migration',
  'endpoint',
  'validation',
  'index',
  'token',
  'audit',
  'limit',
  'handler',
  'client',
  'worker',
  'config',
  'metrics',
];

function sentence(random, words) {
  const text = Array.from({ length: words }, () => random.pick(WORDS)).join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/** One task file as `backlog task create` writes it; `number` from 1. */
function taskFile(number, tasks) {
  const random = rng(7, number);
  const title = `${random.pick(['Add', 'Fix', 'Refactor', 'Document', 'Test'])} ${random.pick(WORDS)} ${random.pick(WORDS)} ${number}`;
  // Like kit's generated tree: most work is done, the rest part way.
  const share = number / tasks;
  const status = share <= 0.8 ? 'Done' : random.chance(0.3) ? 'In Progress' : 'To Do';
  const dependencies = number > 3 && random.chance(0.5) ? [`TASK-${number - random.int(1, 3)}`] : [];
  const labels = [random.pick(WORDS), random.pick(WORDS)].filter((label, index, all) => all.indexOf(label) === index);
  const criteria = Array.from({ length: random.int(2, 5) }, (_, index) => {
    const done = status === 'Done' ? 'x' : ' ';
    return `- [${done}] #${index + 1} ${sentence(random, random.int(6, 12))}`;
  });
  const paragraphs = (count) =>
    Array.from({ length: count }, () =>
      Array.from({ length: random.int(3, 6) }, () => sentence(random, random.int(8, 16))).join(' '),
    ).join('\n\n');
  const day = String(1 + (number % 28)).padStart(2, '0');
  const lines = [
    '---',
    `id: TASK-${number}`,
    `title: ${title}`,
    `status: ${status}`,
    ...(status === 'To Do'
      ? ['assignee: []']
      : ['assignee:', `  - '@${random.pick(['alice', 'bob', 'carol', 'dave'])}'`]),
    `created_date: '2026-11-${day} 10:${String(number % 60).padStart(2, '0')}'`,
    'labels:',
    ...labels.map((label) => `  - ${label}`),
    ...(dependencies.length > 0 ? ['dependencies:', ...dependencies.map((id) => `  - ${id}`)] : ['dependencies: []']),
    `priority: ${random.pick(['high', 'medium', 'low'])}`,
    `ordinal: ${number * 1000}`,
    '---',
    '',
    '## Description',
    '',
    '<!-- SECTION:DESCRIPTION:BEGIN -->',
    paragraphs(random.int(2, 4)),
    '<!-- SECTION:DESCRIPTION:END -->',
    '',
    '## Acceptance Criteria',
    '<!-- AC:BEGIN -->',
    ...criteria,
    '<!-- AC:END -->',
    '',
    '## Implementation Plan',
    '',
    '<!-- SECTION:PLAN:BEGIN -->',
    Array.from({ length: random.int(3, 6) }, (_, index) => `${index + 1}. ${sentence(random, random.int(6, 14))}`).join(
      '\n',
    ),
    '<!-- SECTION:PLAN:END -->',
    '',
    '## Implementation Notes',
    '',
    '<!-- SECTION:NOTES:BEGIN -->',
    paragraphs(random.int(1, 3)),
    '<!-- SECTION:NOTES:END -->',
    '',
  ];
  return { name: `task-${number} - ${title.replace(/ /g, '-')}.md`, text: lines.join('\n') };
}

/**
 * A git repository with a Backlog.md project of `tasks` tasks, in `<peer dir>/tasks-<N>/`: reused while its
 * marker matches, else made afresh (`backlog init`, the task files, one commit).
 */
export function ensureBacklogRepo(peer, tasks, { fresh, log }) {
  const dir = join(peer.dir, `tasks-${tasks}`);
  const marker = join(dir, '.git', MARKER);
  const wanted = { generator: PEER_GENERATOR_VERSION, tasks, backlog: peer.version };
  if (!fresh && existsSync(marker)) {
    try {
      if (JSON.stringify(JSON.parse(readFileSync(marker, 'utf8'))) === JSON.stringify(wanted)) {
        run('git', ['reset', '--quiet', '--hard'], dir);
        run('git', ['clean', '-ffdxq'], dir);
        return { dir, reused: true };
      }
    } catch {
      // Regenerate below.
    }
  }
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const git = (args) => {
    const result = run('git', args, dir);
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  };
  git(['init', '--quiet', '-b', 'main']);
  git(['config', 'user.name', 'Bench']);
  git(['config', 'user.email', 'bench@example.com']);
  git(['config', 'commit.gpgsign', 'false']);
  const backlog = (args) => {
    const result = run(peer.program, args, dir);
    if (result.status !== 0) throw new Error(`backlog ${args.join(' ')}: ${(result.stderr || result.stdout).trim()}`);
  };
  backlog(['init', 'bench', '--defaults', '--integration-mode', 'none']);
  // No remote here: without this, every command warns that remote operations have no remote.
  backlog(['config', 'set', 'remoteOperations', 'false']);
  const taskDir = join(dir, 'backlog', 'tasks');
  mkdirSync(taskDir, { recursive: true });
  for (let number = 1; number <= tasks; number++) {
    const { name, text } = taskFile(number, tasks);
    writeFileSync(join(taskDir, name), text);
  }
  git(['add', '-A']);
  git(['commit', '--quiet', '--no-verify', '-m', `${tasks} tasks`]);
  writeFileSync(marker, JSON.stringify(wanted));
  log(`backlog.md repository of ${tasks} tasks generated in ${Math.round(performance.now() - started)} ms`);
  return { dir, reused: false };
}

/** How many tasks `backlog task list --plain` lists (lines naming a TASK-N). */
export function countListedTasks(output) {
  return output.split('\n').filter((line) => /\bTASK-\d+\b/.test(line)).length;
}

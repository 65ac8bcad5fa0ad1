import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentNames } from '../domain/agent-catalog.js';
import {
  CONFIG_FILE,
  checkLaneStore,
  DEFAULT_CONFIG,
  isRemoteName,
  readConfig,
  renderDefaultConfig,
  withConfigValue,
} from '../io/config.js';
import { KitError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import type { Workspace } from '../io/workspace.js';
import { type AgentsResult, installAgents } from './agents.js';

export interface InitResult {
  root: string;
  config: { file: string; action: 'created' | 'kept' | 'overwritten' | 'updated' };
  specsDir: { path: string; action: 'created' | 'kept' };
  exclude: { file: string; entry: string; action: 'added' | 'kept' };
  /** The agents' command files, when `--agent` named any (null otherwise). */
  agents: AgentsResult | null;
}

/**
 * Sets a repository up for kit: `.kit/config.yaml`, the specs dir, and the worktrees dir in
 * `.git/info/exclude` (not .gitignore: it is local state and must not show up as a change to commit),
 * plus the command files of the agents named with --agent. Safe to run again: it changes only what is
 * missing, and the config (and agent files someone edited) only with --force.
 */
export async function initProject(
  workspace: Workspace,
  options: { force: boolean; agents?: readonly string[]; remote?: string | undefined; laneStore?: string | undefined },
): Promise<InitResult> {
  // Checked before anything is written, so a misspelt agent name leaves the repository as it was.
  if (options.agents && options.agents.length > 0) parseAgentNames(options.agents);
  const laneStore = options.laneStore !== undefined ? checkLaneStore(options.laneStore, null) : undefined;
  if (options.remote !== undefined) await checkRemote(workspace, options.remote);
  const configPath = join(workspace.root, CONFIG_FILE);
  const configExisted = existsSync(configPath);
  // An existing config is kept, so it must be valid (readConfig says where it is not; --force rewrites it).
  const config = configExisted && !options.force ? (await readConfig(workspace.root)).config : DEFAULT_CONFIG;
  const changes =
    (options.remote !== undefined && config.remote !== options.remote) ||
    (laneStore !== undefined && config.laneStore !== laneStore);
  if (!configExisted || options.force)
    writeFileAtomic(configPath, renderDefaultConfig({ remote: options.remote ?? null, laneStore: laneStore ?? null }));
  else if (changes) {
    let text = readFileSync(configPath, 'utf8');
    if (options.remote !== undefined) text = withConfigValue(text, 'remote', options.remote);
    if (laneStore !== undefined) text = withConfigValue(text, 'lane_store', laneStore);
    writeFileAtomic(configPath, text);
  }

  const specsPath = join(workspace.root, config.specsDir);
  const specsExisted = existsSync(specsPath);
  mkdirSync(specsPath, { recursive: true });

  const excludeFile = join(workspace.commonDir, 'info', 'exclude');
  const entry = `/${config.worktreesDir.replace(/^\/+|\/+$/g, '')}/`;
  const current = existsSync(excludeFile) ? readFileSync(excludeFile, 'utf8') : '';
  const present = current.split(/\r?\n/).some((line) => line.trim() === entry);
  if (!present) {
    mkdirSync(join(workspace.commonDir, 'info'), { recursive: true });
    const separator = current.length > 0 && !current.endsWith('\n') ? '\n' : '';
    appendFileSync(excludeFile, `${separator}# kit: one git worktree per work package\n${entry}\n`);
  }
  const agents =
    options.agents && options.agents.length > 0
      ? await installAgents(workspace, { agents: options.agents, force: options.force })
      : null;
  return {
    root: workspace.root,
    config: {
      file: CONFIG_FILE,
      action: !configExisted ? 'created' : options.force ? 'overwritten' : changes ? 'updated' : 'kept',
    },
    specsDir: { path: config.specsDir, action: specsExisted ? 'kept' : 'created' },
    exclude: { file: '.git/info/exclude', entry, action: present ? 'kept' : 'added' },
    agents,
  };
}

/** The remote must be one git knows (`git remote add` first), so claims never go to a typo. */
async function checkRemote(workspace: Workspace, remote: string): Promise<void> {
  if (!isRemoteName(remote)) {
    throw new KitError(`"${remote}" is not a remote name`, {
      hint: 'for example --remote origin (git remote -v lists them)',
    });
  }
  const known = await workspace.git.spawnGit(['remote', 'get-url', remote]);
  if (known.exitCode !== 0) {
    throw new KitError(`this repository has no remote "${remote}"`, {
      hint: `add it first (git remote add ${remote} <url>), then run kit init --remote ${remote} again`,
    });
  }
}

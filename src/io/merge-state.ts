/**
 * The state of a merge in progress, one JSON file per feature in the git common dir
 * (`.git/kit/merge/<feature>.json`), written atomically. It holds the strategy and options, so
 * `--continue` never takes them from new flags, and the commits planned and built, so a crash at any
 * step can be told apart afterwards: target still at `targetBefore` (nothing landed) or at `result`
 * (landed; finish the remaining steps).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MergeStrategy } from '../domain/merge-plan.js';
import { KitError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { kitStateDir, type Workspace } from './workspace.js';

export interface MergeState {
  version: 1;
  feature: string;
  targetBranch: string;
  strategy: MergeStrategy;
  readyOnly: boolean;
  keepWorktrees: boolean;
  /**
   * building: planning and building in memory (a crash here left nothing but this file); conflict: stopped
   * before landing; landing: the ref transaction may or may not have happened; landed: it did.
   */
  phase: 'building' | 'conflict' | 'landing' | 'landed';
  targetBefore: string;
  planned: { wp: string; branch: string; tip: string }[];
  result: string | null;
  conflict: { wp: string; paths: string[] } | null;
  startedAt: string;
}

function statePath(workspace: Workspace, feature: string): string {
  return join(kitStateDir(workspace), 'merge', `${feature}.json`);
}

export function readMergeState(workspace: Workspace, feature: string): MergeState | null {
  let text: string;
  try {
    text = readFileSync(statePath(workspace, feature), 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as MergeState;
    if (state.version !== 1 || state.feature !== feature) throw new Error('unexpected content');
    return state;
  } catch (error) {
    throw new KitError(`the saved merge state of ${feature} is unreadable: ${(error as Error).message}`, {
      hint: `inspect or delete ${statePath(workspace, feature)}`,
    });
  }
}

export function writeMergeState(workspace: Workspace, state: MergeState): void {
  writeFileAtomic(statePath(workspace, state.feature), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeMergeState(workspace: Workspace, feature: string): void {
  rmSync(statePath(workspace, feature), { force: true });
}

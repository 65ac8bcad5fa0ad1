/**
 * A cross-process lock in the git common dir, shared by every worktree of the repository, so agents
 * working in different worktrees serialize their writes to shared state. `open(..., 'wx')` is atomic on
 * local filesystems; the lock file records pid and host so a lock left by a dead process on this host is
 * taken over instead of blocking everyone forever. Waiting is bounded and then says who holds the lock.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KitError } from '../errors.js';

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): { pid: number; host: string; command: string } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string; command: string };
  } catch {
    return undefined;
  }
}

/** Runs `action` while holding the named lock under `<stateDir>/locks/`. */
export async function withLock<T>(
  stateDir: string,
  name: string,
  action: () => Promise<T> | T,
  options: LockOptions = {},
): Promise<T> {
  const directory = join(stateDir, 'locks');
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${name}.lock`);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let delay = 5;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), command: process.argv.slice(2).join(' ') }));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && holder.host === hostname() && !isAlive(holder.pid)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new KitError(
          `another kit process holds the ${name} lock${holder ? ` (pid ${holder.pid} on ${holder.host}: kit ${holder.command})` : ''}`,
          {
            hint: `wait for it to finish and retry; if no kit process is running, delete ${path}`,
          },
        );
      }
      await sleep(delay + Math.random() * delay);
      // Short waits: holders finish in tens of milliseconds, and long sleeps leave the lock idle.
      delay = Math.min(delay * 2, 40);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}

import type { Lane } from '../lanes/lane.js';
import type { HistoryEntry } from './work-package.js';

/** One history entry in the order Spec Kitty writes its keys. */
export function historyEntry(input: {
  timestamp: Date;
  lane: Lane;
  agent: string;
  shellPid: string;
  action: string;
}): HistoryEntry {
  return {
    timestamp: input.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    lane: input.lane,
    agent: input.agent,
    shell_pid: input.shellPid,
    action: input.action,
  };
}

/** The commit message of a lane change: `kit: 001-user-auth WP02 doing → for_review`. */
export function laneChangeMessage(feature: string, wp: string, from: Lane, to: Lane, detail?: string): string {
  return `kit: ${feature} ${wp} ${from} → ${to}${detail ? `\n\n${detail}` : ''}\n`;
}

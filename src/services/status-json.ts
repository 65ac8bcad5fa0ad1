/**
 * `kit status --json` as text, for the fast path (src/fast.ts): the document is about 1 MB for 2,000 WPs,
 * and parsing the stored result and formatting it again (JSON.stringify with indentation) cost more than
 * anything else in a warm run. So beside the result, the read index keeps the rendered document as a
 * template: the text with a slot where each value that changes between two runs on the same inputs goes
 * (what refreshStatus in ./status.ts refreshes: each worktree's uncommitted files and their count, the ages
 * computed from the clock). A warm run fills the slots and prints; the output is byte for byte what
 * formatting the refreshed result would give. Anything else goes through collectStatus as usual.
 */
import { randomBytes } from 'node:crypto';
import { readIndexFile, readIndexKey, readStoredIndex, writeStoredIndex } from '../io/read-index.js';
import { uncommittedFilesOf } from '../io/worktree-changes.js';
import type { Workspace } from '../io/workspace.js';
import { computeAndStoreStatus, type StatusResult, statusIndexInputs } from './status.js';

/** Bump when the template's shape changes (its file name has it: an older one is never read). */
const TEMPLATE_FORMAT = 2;

/** A value that changes between two runs on the same inputs, and what it is computed from. */
type SlotValue =
  { kind: 'count' | 'files'; worktree: string } | { kind: 'age'; at: string } | { kind: 'sync-age'; at: string | null };
/**
 * `offset`: where in the text the value goes; `indent`: the indentation of the slot's line, for a value
 * formatted on several lines.
 */
type Slot = SlotValue & { offset: number; indent: string };

interface Template {
  /** The document without the slots' values: one string, so reading it copies nothing more than once. */
  text: string;
  /** In the order of their offsets. */
  slots: Slot[];
}

/** How a status --json document is formatted (the fast path's printJson and oclif's JSON output agree). */
export function formatStatusDocument(result: StatusResult): string {
  return JSON.stringify({ ok: true, result }, null, 2);
}

/** The status --json document (without the final newline). */
export async function statusJsonText(
  workspace: Workspace,
  input: { feature?: string | undefined; now: Date },
): Promise<string> {
  const inputs = statusIndexInputs(workspace, input.feature);
  const templateFile = readIndexFile(inputs).replace(/\.json$/, `.template-v${TEMPLATE_FORMAT}.json`);
  const stored = readStoredIndex<Template>(templateFile);
  // The worktrees' uncommitted files are asked of git first, so git works while the fingerprint is taken.
  const uncommitted = stored ? uncommittedFilesOf(workspace.git, stored.worktrees, workspace.commonDir) : null;
  uncommitted?.catch(() => undefined);
  const key = readIndexKey(inputs);
  if (stored && uncommitted && key?.digest === stored.digest) {
    return fill(stored.result, await uncommitted, input.now);
  }
  const { result, worktrees } = await computeAndStoreStatus(workspace, input, key, uncommitted);
  const text = formatStatusDocument(result);
  if (key) {
    const template = templateOf(result, new Set(worktrees));
    if (template) writeStoredIndex(key, { result: template, worktrees }, templateFile);
  }
  return text;
}

/** The text with its slots filled: each worktree's uncommitted files from `uncommitted`, ages from `now`. */
function fill(template: Template, uncommitted: ReadonlyMap<string, string[] | null>, now: Date): string {
  const ageSeconds = (at: string) => Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  const { text } = template;
  const pieces: string[] = [];
  let last = 0;
  for (const slot of template.slots) {
    let value: string;
    if (slot.kind === 'age') value = String(ageSeconds(slot.at));
    else if (slot.kind === 'sync-age') value = slot.at ? String(ageSeconds(slot.at)) : 'null';
    else {
      const files = uncommitted.get(slot.worktree) ?? null;
      if (slot.kind === 'count') value = files ? String(files.length) : 'null';
      // Formatted as JSON.stringify formats it in place: every line after the first indented like the key's.
      else value = JSON.stringify(files, null, 2).replaceAll('\n', `\n${slot.indent}`);
    }
    pieces.push(text.slice(last, slot.offset), value);
    last = slot.offset;
  }
  pieces.push(text.slice(last));
  return pieces.join('');
}

/**
 * The template of a computed result (which it changes: the result is not used after this): each value
 * refreshStatus would set becomes a unique marker string, the whole is formatted once, and the text is cut
 * at the markers. Null in the unlikely case that the markers' nonce occurs in the data.
 */
function templateOf(result: StatusResult, worktrees: ReadonlySet<string>): Template | null {
  const nonce = randomBytes(8).toString('hex');
  const slots: SlotValue[] = [];
  const marker = (slot: SlotValue): string => {
    slots.push(slot);
    return `\u0001${nonce}:${slots.length - 1}\u0001`;
  };
  const patch = (target: object, field: string, slot: SlotValue) => {
    (target as Record<string, unknown>)[field] = marker(slot);
  };
  if (result.sync) patch(result.sync, 'ageSeconds', { kind: 'sync-age', at: result.sync.lastSyncAt });
  for (const feature of result.features) {
    for (const wp of feature.workPackages) {
      if (!wp.git) continue;
      if (wp.worktree !== null && worktrees.has(wp.worktree)) {
        patch(wp.git, 'uncommitted', { kind: 'count', worktree: wp.worktree });
        patch(wp.git, 'uncommittedFiles', { kind: 'files', worktree: wp.worktree });
      }
      patch(wp.git, 'lastCommitAgeSeconds', { kind: 'age', at: wp.git.lastCommitAt });
    }
  }
  const text = formatStatusDocument(result);
  // JSON.stringify writes U+0001 as \u0001: the marker as it appears in the text, quotes included.
  const pattern = new RegExp(`"\\\\u0001${nonce}:(\\d+)\\\\u0001"`, 'g');
  const parts: string[] = [];
  const placed: Slot[] = [];
  let last = 0;
  let offset = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index ?? 0;
    const slot = slots[Number(match[1])];
    if (!slot) return null;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const indent = /^ */.exec(text.slice(lineStart, at))?.[0] ?? '';
    parts.push(text.slice(last, at));
    offset += at - last;
    placed.push({ ...slot, offset, indent });
    last = at + match[0].length;
  }
  parts.push(text.slice(last));
  const rest = parts.join('');
  // Every marker exactly once, and the nonce nowhere else.
  if (placed.length !== slots.length || rest.includes(nonce)) return null;
  return { text: rest, slots: placed };
}

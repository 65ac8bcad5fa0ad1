/**
 * What the board's detail view shows of a WP beyond `kit status`: every frontmatter field and the Markdown
 * body, read where lane state lives (the main checkout when it has the feature's target branch out, else
 * the target branch itself, as `loadLaneState` reads lanes), so the detail never disagrees with the card.
 */
import { type FrontmatterData, parseFrontmatter } from '../io/frontmatter.js';
import { readTextFile, resolveInside } from '../io/files.js';
import { GitPlumbing } from '../io/git.js';
import { laneOverlayForReads, overlaidText } from '../io/lane-ref-store.js';
import type { Workspace } from '../io/workspace.js';

export interface WorkPackageDetail {
  /** Repository-relative path of the WP file. */
  file: string;
  /** Where it was read: `working tree` or `branch <name>`. */
  source: string;
  frontmatter: FrontmatterData;
  body: string;
  /** Why the file could not be read or parsed; the other fields are then empty. */
  problem: string | null;
}

export async function loadWorkPackageDetail(
  workspace: Workspace,
  input: { file: string; targetBranch: string },
): Promise<WorkPackageDetail> {
  const read = await readLaneFile(workspace, input);
  if (read.text === null) {
    return { file: input.file, source: read.source, frontmatter: {}, body: '', problem: read.problem };
  }
  return parse(input.file, read.source, read.text);
}

/** A lane file's text and where it was read (see the top of this file), or why it could not be. */
export type LaneFileRead =
  { source: string; text: string; problem: null } | { source: string; text: null; problem: string };

/**
 * A file of a feature that carries lane state (a WP file, a 3.x status.events.jsonl), read where
 * `loadLaneState` reads lanes: the lane ref's copy (lane_store: ref), else the target branch when the main
 * checkout has another branch out and the target has the file, else the working tree.
 */
export async function readLaneFile(
  workspace: Workspace,
  input: { file: string; targetBranch: string },
): Promise<LaneFileRead> {
  const failed = (source: string, problem: string): LaneFileRead => ({ source, text: null, problem });
  // lane_store: ref: the board's lanes come from the lane ref's copy, and so does the detail.
  const copy = overlaidText(laneOverlayForReads(workspace, input.targetBranch), input.file);
  if (typeof copy === 'string') return { source: `refs/kit/lanes/${input.targetBranch}`, text: copy, problem: null };
  const checkedOut = await workspace.git.currentBranch();
  if (input.targetBranch && input.targetBranch !== checkedOut) {
    const git = new GitPlumbing(workspace.git);
    const commit = await git.resolveCommit(`refs/heads/${input.targetBranch}`);
    const bytes = commit ? await git.readBlob(commit, input.file) : null;
    // Not committed on the target yet: the board read the working tree, and so does the detail.
    if (bytes !== null) {
      const source = `branch ${input.targetBranch}`;
      if (bytes.includes(0)) return failed(source, 'the file is binary, not Markdown text');
      return { source, text: bytes.toString('utf8'), problem: null };
    }
  }
  const source = 'working tree';
  try {
    const read = readTextFile(resolveInside(workspace.root, input.file, 'WP file'));
    return read.ok ? { source, text: read.text, problem: null } : failed(source, read.reason);
  } catch (error) {
    return failed(source, (error as Error).message);
  }
}

function parse(file: string, source: string, text: string): WorkPackageDetail {
  const parsed = parseFrontmatter(text);
  if (!parsed.ok)
    return { file, source, frontmatter: {}, body: text, problem: `line ${parsed.line}: ${parsed.reason}` };
  return { file, source, frontmatter: parsed.data, body: text.slice(parsed.split.bodyStart), problem: null };
}

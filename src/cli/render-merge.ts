import type { MergeResult } from '../services/merge-feature.js';

/** kit merge's human report: what landed or would land, conflicts with previews, and what cleanup did. */
export function renderMerge(result: MergeResult): string {
  const lines: string[] = [];
  const short = (sha: string | null) => sha?.slice(0, 12) ?? '';
  const title =
    result.outcome === 'aborted'
      ? `Aborted the merge of ${result.feature}; ${result.targetBranch} is untouched at ${short(result.before)}.`
      : result.outcome === 'nothing-to-merge'
        ? `Nothing to merge into ${result.targetBranch}.`
        : result.outcome === 'conflict'
          ? `kit merge of ${result.feature} into ${result.targetBranch} stopped at a conflict; nothing was written to ${result.targetBranch}.`
          : result.dryRun
            ? `kit merge --dry-run of ${result.feature} into ${result.targetBranch} (${result.strategy}): would merge cleanly.`
            : `Merged ${result.feature} into ${result.targetBranch} (${result.strategy}): ${short(result.before)} → ${short(result.after)}`;
  lines.push(title);
  for (const step of result.steps) {
    const mark = step.clean ? '✓' : '✗';
    lines.push(
      `  ${mark} ${step.wp} ${step.branch} (${step.commits.length} commit${step.commits.length === 1 ? '' : 's'})`,
    );
    for (const commit of step.commits.slice(0, 5)) lines.push(`      ${commit.sha.slice(0, 12)} ${commit.subject}`);
    if (step.commits.length > 5) lines.push(`      ... ${step.commits.length - 5} more`);
  }
  for (const skipped of result.skipped) lines.push(`  - ${skipped.id} skipped: ${skipped.reason}`);
  if (result.conflict) {
    lines.push(
      '',
      `${result.conflict.wp} conflicts with ${result.targetBranch}${result.conflict.mergedBefore.length ? ` + ${result.conflict.mergedBefore.join(', ')}` : ''}:`,
    );
    for (const file of result.conflict.files) lines.push(`  ${file.path} (${file.kind})   preview: ${file.preview}`);
    lines.push(
      '',
      `Fix it in ${result.conflict.wp}'s worktree: merge ${result.targetBranch}${result.conflict.mergedBefore.length ? ' and the WPs above' : ''} into its branch, resolve, commit;`,
      'then run kit merge --continue (or kit merge --abort).',
    );
  }
  if (result.checkout) {
    lines.push(
      result.checkout.updated
        ? `Updated the checkout at ${result.checkout.path}.`
        : `The checkout at ${result.checkout.path} was already there.`,
    );
  }
  if (result.proof)
    lines.push(
      `Proved: all ${result.proof.checked} work packages are in ${result.targetBranch} and nothing it had was reverted.`,
    );
  if (result.cleanup) {
    const c = result.cleanup;
    for (const path of c.removedWorktrees) lines.push(`  removed worktree ${path}`);
    for (const branch of c.deletedBranches) lines.push(`  deleted branch ${branch}`);
    for (const kept of c.keptWorktrees) lines.push(`  kept worktree ${kept.path}: ${kept.reason}`);
    for (const kept of c.keptBranches) lines.push(`  kept branch ${kept.branch}: ${kept.reason}`);
    if (c.archiveRefs.length > 0)
      lines.push(
        `  archive refs: refs/kit/archive/${result.feature}/<WP> (undo a cleanup with git branch <name> <ref>)`,
      );
  }
  const publish = result.publish;
  if (publish) {
    if (publish.outcome === 'pushed') {
      lines.push(`Pushed ${result.targetBranch} to ${publish.remote}.`);
      for (const ref of publish.removedRemoteBranches) lines.push(`  removed ${ref} on ${publish.remote}`);
    } else {
      const why =
        publish.outcome === 'skipped'
          ? 'not pushed (--no-push)'
          : publish.outcome === 'offline'
            ? `not pushed: ${publish.remote} could not be reached`
            : publish.outcome === 'stale'
              ? `not pushed: ${publish.detail ?? ''}`
              : `not pushed: ${publish.detail ?? ''}`;
      lines.push(`${result.targetBranch} is ${why}; publish it with: ${publish.command ?? ''}`);
    }
  }
  for (const preview of result.cleanupPreview) {
    lines.push(`  cleanup would ${preview.action} ${preview.worktree ?? preview.branch}: ${preview.reason}`);
  }
  return lines.join('\n');
}

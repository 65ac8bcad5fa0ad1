import { KitCommand } from '../cli/kit-command.js';
import { type SyncResult, syncWithRemote } from '../services/sync.js';

export default class Sync extends KitCommand {
  static override summary = 'Share claims with clones on other machines through the remote.';
  static override description =
    'Fetches what other clones published to the remote set with kit init --remote (their claims, WP branches ' +
    'and target branches), publishes the claims this clone made while the remote was unreachable, and says ' +
    'what changed. kit status shows what the last sync fetched and how old it is (kit status --sync syncs ' +
    'first); no other read command uses the network. An unreachable remote is not an error: nothing is lost, ' +
    'and the next sync retries.';
  static override examples = ['<%= config.bin %> sync', '<%= config.bin %> sync --json'];

  async run(): Promise<SyncResult> {
    await this.parse(Sync);
    const workspace = await this.openWorkspace();
    const result = await syncWithRemote(workspace, { now: new Date() });
    this.print(renderSync(result));
    if (result.offline) this.printWarnings([`${result.remote} could not be reached: ${result.offline}`]);
    return result;
  }
}

function renderSync(result: SyncResult): string {
  if (result.offline) {
    const waiting = result.published.length;
    return `Not synced with ${result.remote}${waiting > 0 ? `; ${waiting} claim${waiting === 1 ? '' : 's'} still waiting to be published` : ''}.`;
  }
  const lines = [`Synced with ${result.remote} at ${result.at}.`];
  for (const claim of result.claims.added) {
    lines.push(
      `  claimed there: ${claim.feature} ${claim.wp} by ${claim.agent || 'unknown'}${claim.host ? ` on ${claim.host}` : ''}`,
    );
  }
  for (const claim of result.claims.released) lines.push(`  released there: ${claim.feature} ${claim.wp}`);
  for (const claim of result.published) {
    lines.push(
      claim.outcome === 'published'
        ? `  published your claim of ${claim.feature} ${claim.wp}`
        : `  could not publish ${claim.feature} ${claim.wp} (${claim.outcome}): ${claim.detail ?? ''}`,
    );
  }
  for (const lanes of result.lanes) {
    const ref = `refs/kit/lanes/${lanes.target}`;
    const said: Record<typeof lanes.action, string | null> = {
      even: null,
      fetched: `  ${ref}: took the lane changes other clones published`,
      published: `  ${ref}: published the lane changes made here`,
      combined: `  ${ref}: combined the lane changes made here with those other clones published`,
      offline: `  ${ref}: not published (${lanes.detail ?? 'unreachable'}); kit sync tries again`,
      refused: `  ${ref}: ${result.remote} declined it (${lanes.detail ?? ''})`,
      unreadable: `  ${ref}: not taken from ${result.remote}: ${lanes.detail ?? ''}`,
    };
    const line = said[lanes.action];
    if (line) lines.push(line);
    for (const path of lanes.superseded) lines.push(`    ${path}: another clone changed it too; theirs is kept`);
    for (const path of lanes.dropped)
      lines.push(`    ${path}: ${lanes.target} on ${result.remote} has these lanes now`);
    for (const path of lanes.deleted) lines.push(`    ${path}: deleted on ${lanes.target}; its lanes went with it`);
    for (const path of lanes.conflicts) {
      lines.push(
        `    ${path}: ${lanes.target} and ${ref} changed the same frontmatter keys; kit reads its copy (git show ${ref}:files/${path}) and kit merge leaves ${lanes.target}'s file alone: make them agree on ${lanes.target} (or with kit move), then kit sync`,
      );
    }
  }
  for (const target of result.targets) {
    if (target.action === 'published') {
      lines.push(
        `  published ${target.ahead} commit${target.ahead === 1 ? '' : 's'} of ${target.branch} (lane changes made offline)`,
      );
    } else if (target.action !== 'even') {
      lines.push(
        `  ${target.branch}: ${target.behind} commit${target.behind === 1 ? '' : 's'} on ${result.remote} not here, ${target.ahead} here not there${target.detail ? `: ${target.detail}` : ''}`,
      );
    }
  }
  if (lines.length === 1) lines.push('  nothing changed');
  return lines.join('\n');
}

/**
 * Installing, updating and removing the agents' command files (`kit init --agent`, `kit agents
 * add|remove|list`). The manifest `.kit/agents.json` records the hash of every file kit wrote, so a
 * re-run updates kit's own untouched files, keeps files someone edited (with a warning, unless --force),
 * and removal deletes exactly the files kit wrote. The files are planning files: they are written in the
 * main checkout, whatever checkout the command runs in, to be committed on the target branch.
 */
import {
  AGENT_NAMES,
  type AgentName,
  agentDefinition,
  instructionFilesFor,
  parseAgentNames,
} from '../domain/agent-catalog.js';
import {
  type AgentTemplates,
  contentHash,
  locateSection,
  removeSection,
  renderAgentFiles,
  renderSection,
  upsertSection,
} from '../domain/agent-files.js';
import {
  AGENT_MANIFEST_FILE,
  type AgentFileAction,
  type AgentManifest,
  changesSince,
  compareTemplateVersions,
  decideInstall,
  decideRemoval,
  type FileDecision,
  type ManifestFile,
} from '../domain/agent-manifest.js';
import { ExitCode, KitError } from '../errors.js';
import {
  deleteManagedFile,
  readAgentManifest,
  readManagedFile,
  writeAgentManifest,
  writeManagedFile,
} from '../io/agent-files.js';
import { loadAgentTemplates } from '../io/agent-templates.js';
import { kitVersion } from '../io/config.js';
import { withLock } from '../io/lock.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';

export interface AgentFileReport {
  path: string;
  action: AgentFileAction;
}

export interface AgentReport {
  name: AgentName;
  title: string;
  /** The template version the agent's files were installed from before this run (null: not installed). */
  previousTemplateVersion: string | null;
  templateVersion: string;
  /** Set when the installed templates were older: what changed since. */
  upgrade: { from: string; to: string; changes: { version: string; summary: string }[] } | null;
  files: AgentFileReport[];
}

export interface AgentsResult {
  /** The main checkout, where the files are. */
  root: string;
  manifest: { file: string; action: 'created' | 'updated' | 'unchanged' | 'removed' };
  templateVersion: string;
  agents: AgentReport[];
  /** kit's marked section in AGENTS.md / CLAUDE.md. */
  sections: AgentFileReport[];
  /** Agents named for removal that were not installed. */
  notInstalled: AgentName[];
  /** Repository paths that were written or deleted, to commit on the target branch. */
  changedPaths: string[];
  warnings: string[];
}

const LOCK_NAME = 'agents';

/** Writes (or updates) the command files of the named agents and the workflow section. */
export async function installAgents(
  workspace: Workspace,
  input: { agents: readonly string[]; force: boolean },
): Promise<AgentsResult> {
  const names = parseAgentNames(input.agents);
  return withLock(kitStateDir(workspace), LOCK_NAME, () => {
    const run = startRun(workspace);
    const installed = AGENT_NAMES.filter((name) => names.includes(name) || run.manifest.agents[name]);
    const instructionFiles = instructionFilesFor(installed);
    checkSections(run, instructionFiles);
    if (!input.force) for (const name of names) checkNotNewer(run, name);
    for (const name of names) run.agents.push(installAgent(run, name, input.force));
    for (const file of instructionFiles) run.sections.push(installSection(run, file, input.force));
    return finishRun(run);
  });
}

/** Deletes the command files kit wrote for the named agents, and the section once no agent needs it. */
export async function removeAgents(
  workspace: Workspace,
  input: { agents: readonly string[]; force: boolean },
): Promise<AgentsResult> {
  const names = parseAgentNames(input.agents);
  return withLock(kitStateDir(workspace), LOCK_NAME, () => {
    const run = startRun(workspace);
    checkSections(run, Object.keys(run.manifest.sections));
    for (const name of names) {
      const report = removeAgent(run, name, input.force);
      if (report) run.agents.push(report);
      else run.notInstalled.push(name);
    }
    const needed = new Set(instructionFilesFor(AGENT_NAMES.filter((name) => run.manifest.agents[name])));
    for (const file of Object.keys(run.manifest.sections).sort()) {
      if (!needed.has(file)) run.sections.push(removeSectionFrom(run, file, input.force));
    }
    return finishRun(run);
  });
}

export interface AgentListEntry {
  name: AgentName;
  title: string;
  installed: boolean;
  templateVersion: string | null;
  /** Installed from older templates than this kit's: `kit agents add <name>` updates it. */
  outdated: boolean;
  files: { path: string; state: 'ok' | 'edited' | 'missing' }[];
}

export interface AgentListResult {
  manifest: string;
  templateVersion: string;
  agents: AgentListEntry[];
  sections: { path: string; state: 'ok' | 'edited' | 'missing' }[];
}

/** Every agent kit knows, whether it is installed, and the state of each file kit wrote for it. */
export function listAgents(workspace: Workspace): AgentListResult {
  const templates = loadAgentTemplates();
  const { manifest } = readAgentManifest(workspace.root, kitVersion());
  const stateOf = (path: string, sha256: string, current: string | null) =>
    current === null ? ('missing' as const) : contentHash(current) === sha256 ? ('ok' as const) : ('edited' as const);
  return {
    manifest: AGENT_MANIFEST_FILE,
    templateVersion: templates.version,
    agents: AGENT_NAMES.map((name) => {
      const entry = manifest.agents[name];
      return {
        name,
        title: agentDefinition(name).title,
        installed: entry !== undefined,
        templateVersion: entry?.templateVersion ?? null,
        outdated: entry !== undefined && compareTemplateVersions(entry.templateVersion, templates.version) < 0,
        files: (entry?.files ?? []).map((file) => ({
          path: file.path,
          state: stateOf(file.path, file.sha256, readManagedFile(workspace.root, file.path)),
        })),
      };
    }),
    sections: Object.entries(manifest.sections).map(([path, section]) => {
      const text = readManagedFile(workspace.root, path);
      const range = text === null ? null : locateSection(text, path);
      return { path, state: stateOf(path, section.sha256, range?.text ?? null) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------

interface Run {
  root: string;
  templates: AgentTemplates;
  manifest: AgentManifest;
  manifestText: string | null;
  agents: AgentReport[];
  sections: AgentFileReport[];
  notInstalled: AgentName[];
  changedPaths: Set<string>;
  warnings: string[];
}

function startRun(workspace: Workspace): Run {
  const { manifest, text } = readAgentManifest(workspace.root, kitVersion());
  return {
    root: workspace.root,
    templates: loadAgentTemplates(),
    manifest,
    manifestText: text,
    agents: [],
    sections: [],
    notInstalled: [],
    changedPaths: new Set(),
    warnings: [],
  };
}

/** Files from newer templates than this kit's are not downgraded without --force. */
function checkNotNewer(run: Run, name: AgentName): void {
  const installed = run.manifest.agents[name]?.templateVersion;
  if (installed === undefined || compareTemplateVersions(installed, run.templates.version) <= 0) return;
  throw new KitError(
    `${agentDefinition(name).title}'s files come from agent templates ${installed}, newer than this kit's (${run.templates.version})`,
    {
      hint: `upgrade kit; kit agents add ${name} --force would replace them with the older templates`,
      exitCode: ExitCode.invalidInput,
    },
  );
}

/** A damaged section is refused before any file is written, so a run never stops halfway. */
function checkSections(run: Run, files: readonly string[]): void {
  for (const file of files) {
    const text = readManagedFile(run.root, file);
    if (text !== null) locateSection(text, file);
  }
}

function finishRun(run: Run): AgentsResult {
  const empty = Object.keys(run.manifest.agents).length === 0 && Object.keys(run.manifest.sections).length === 0;
  let action: AgentsResult['manifest']['action'];
  if (empty) {
    // Nothing of kit's is left to track: the manifest goes too.
    action = run.manifestText === null ? 'unchanged' : 'removed';
    if (run.manifestText !== null) deleteManagedFile(run.root, AGENT_MANIFEST_FILE);
  } else {
    run.manifest.kitVersion = kitVersion();
    const written = writeAgentManifest(run.root, run.manifest, run.manifestText);
    action = !written ? 'unchanged' : run.manifestText === null ? 'created' : 'updated';
  }
  if (action !== 'unchanged') run.changedPaths.add(AGENT_MANIFEST_FILE);
  return {
    root: run.root,
    manifest: { file: AGENT_MANIFEST_FILE, action },
    templateVersion: run.templates.version,
    agents: run.agents,
    sections: run.sections,
    notInstalled: run.notInstalled,
    changedPaths: [...run.changedPaths].sort(),
    warnings: run.warnings,
  };
}

function apply(
  run: Run,
  decision: FileDecision,
  write = (content: string) => writeManagedFile(run.root, decision.path, content),
): void {
  if (decision.warning) run.warnings.push(decision.warning);
  if (decision.write !== null) {
    write(decision.write);
    run.changedPaths.add(decision.path);
  } else if (decision.remove) {
    deleteManagedFile(run.root, decision.path);
    run.changedPaths.add(decision.path);
  }
}

function installAgent(run: Run, name: AgentName, force: boolean): AgentReport {
  const definition = agentDefinition(name);
  const { templates } = run;
  const entry = run.manifest.agents[name];
  const previous = entry?.templateVersion ?? null;
  const forceHint = `kit agents add ${name} --force`;
  const recorded = new Map((entry?.files ?? []).map((file) => [file.path, file.sha256]));
  const files: AgentFileReport[] = [];
  const kept: ManifestFile[] = [];
  const rendered = renderAgentFiles(definition, templates);
  for (const file of rendered) {
    const decision = decideInstall(
      {
        path: file.path,
        desired: file.content,
        current: readManagedFile(run.root, file.path),
        recorded: recorded.get(file.path) ?? null,
      },
      { force, forceHint },
    );
    apply(run, decision);
    files.push({ path: file.path, action: decision.action });
    if (decision.recordHash) kept.push({ path: file.path, sha256: decision.recordHash });
  }
  // Files of steps the templates no longer have: kit's own go, edited ones stay (and are the user's now).
  const wanted = new Set(rendered.map((file) => file.path));
  for (const [path, sha256] of recorded) {
    if (wanted.has(path)) continue;
    const decision = decideRemoval(
      { path, current: readManagedFile(run.root, path), recorded: sha256 },
      { force, forceHint },
    );
    apply(run, decision);
    files.push({ path, action: decision.action });
  }
  run.manifest.agents[name] = { templateVersion: templates.version, files: kept };
  const upgraded = previous !== null && previous !== templates.version;
  return {
    name,
    title: definition.title,
    previousTemplateVersion: previous,
    templateVersion: templates.version,
    upgrade: upgraded
      ? { from: previous, to: templates.version, changes: changesSince(templates.changes, previous, templates.version) }
      : null,
    files,
  };
}

function removeAgent(run: Run, name: AgentName, force: boolean): AgentReport | null {
  const entry = run.manifest.agents[name];
  if (!entry) return null;
  const forceHint = `kit agents remove ${name} --force`;
  const files: AgentFileReport[] = [];
  for (const file of entry.files) {
    const decision = decideRemoval(
      { path: file.path, current: readManagedFile(run.root, file.path), recorded: file.sha256 },
      { force, forceHint },
    );
    apply(run, decision);
    files.push({ path: file.path, action: decision.action });
  }
  delete run.manifest.agents[name];
  return {
    name,
    title: agentDefinition(name).title,
    previousTemplateVersion: entry.templateVersion,
    templateVersion: entry.templateVersion,
    upgrade: null,
    files,
  };
}

function installSection(run: Run, path: string, force: boolean): AgentFileReport {
  const existing = readManagedFile(run.root, path);
  const range = existing === null ? null : locateSection(existing, path);
  const record = run.manifest.sections[path];
  const decision = decideInstall(
    { path, desired: renderSection(run.templates), current: range?.text ?? null, recorded: record?.sha256 ?? null },
    { force, forceHint: 'kit agents add <agent> --force' },
  );
  apply(run, decision, (section) => writeManagedFile(run.root, path, upsertSection(existing ?? '', section, path)));
  if (decision.recordHash) {
    run.manifest.sections[path] = {
      sha256: decision.recordHash,
      createdFile: record?.createdFile ?? existing === null,
    };
  }
  return { path, action: decision.action };
}

function removeSectionFrom(run: Run, path: string, force: boolean): AgentFileReport {
  const record = run.manifest.sections[path];
  delete run.manifest.sections[path];
  const existing = readManagedFile(run.root, path);
  const range = existing === null ? null : locateSection(existing, path);
  if (!record || existing === null || !range) return { path, action: 'removed' };
  const decision = decideRemoval(
    { path, current: range.text, recorded: record.sha256 },
    { force, forceHint: 'kit agents remove <agent> --force' },
  );
  if (decision.warning) run.warnings.push(decision.warning.replace(path, `kit's section in ${path}`));
  if (decision.remove) {
    const rest = removeSection(existing, path);
    // A file kit created only for its section goes with it; a file with anything else in it stays.
    if (record.createdFile && rest.trim() === '') deleteManagedFile(run.root, path);
    else writeManagedFile(run.root, path, rest);
    run.changedPaths.add(path);
  }
  return { path, action: decision.action };
}

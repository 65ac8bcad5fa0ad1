/**
 * The coding agents kit installs command files for, and where each agent looks for them. Pure: this
 * module only knows names and paths; rendering is in agent-files.ts and writing in io/agent-files.ts.
 *
 * Locations and formats were checked against each agent's documentation (see docs/agents.md):
 * - Claude Code: `.claude/commands/<name>.md` is a slash command `/<name>` (custom commands are now a
 *   form of skills, and keep working); YAML frontmatter `description`, `argument-hint`; `$ARGUMENTS`.
 * - Codex: skills in `.agents/skills/<name>/SKILL.md`, scanned from the working directory up to the
 *   repository root; frontmatter `name` (the directory name) and `description` are required. A skill has
 *   no argument placeholder: the user's message is the input.
 * - Gemini CLI: `.gemini/commands/<name>.toml` with `prompt` (required) and `description`; `{{args}}` is
 *   replaced with what the user typed after the command.
 * - Cursor: `.cursor/commands/<name>.md`, plain Markdown; the text after the command comes with it.
 * - GitHub Copilot: prompt files `.github/prompts/<name>.prompt.md`, frontmatter `description`, `agent`,
 *   `argument-hint`; `${input:name:placeholder}` asks for a value.
 * - opencode: `.opencode/commands/<name>.md`, frontmatter `description`; `$ARGUMENTS`.
 */
import { ExitCode, KitError } from '../errors.js';

/** The workflow steps, in the order a feature goes through them. */
export const AGENT_STEPS = ['specify', 'plan', 'tasks', 'implement', 'review', 'merge', 'status'] as const;
export type AgentStep = (typeof AGENT_STEPS)[number];

export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'cursor', 'copilot', 'opencode'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** How a command file is laid out: Markdown with YAML frontmatter, Markdown alone, or TOML. */
export type AgentFileFormat = 'markdown' | 'plain-markdown' | 'toml';

export interface AgentDefinition {
  name: AgentName;
  title: string;
  format: AgentFileFormat;
  /** Repository-relative path of a step's command file (forward slashes). */
  filePath(step: AgentStep): string;
  /** What the user types to run a step, e.g. `/kit.plan` or `$kit-plan`. */
  invocation(step: AgentStep): string;
  /** The text the agent substitutes with the user's arguments, or how to find them when there is none. */
  argumentsPlaceholder(step: AgentStep): string;
  /** Frontmatter keys in the order they are written (Markdown formats), or TOML keys before `prompt`. */
  headerFields(step: AgentStep, meta: StepMeta): [string, string][];
  /** Instruction files that get kit's marked workflow section while this agent is installed. */
  instructionFiles: readonly string[];
}

/** A step's one-line description and argument hint, from the bundled templates. */
export interface StepMeta {
  description: string;
  argumentHint: string;
}

const SHARED_INSTRUCTIONS = 'AGENTS.md';

const slashCommand = (step: AgentStep) => `/kit.${step}`;

const AGENTS: Readonly<Record<AgentName, AgentDefinition>> = {
  claude: {
    name: 'claude',
    title: 'Claude Code',
    format: 'markdown',
    filePath: (step) => `.claude/commands/kit.${step}.md`,
    invocation: slashCommand,
    argumentsPlaceholder: () => '$ARGUMENTS',
    headerFields: (_step, meta) => [
      ['description', meta.description],
      ['argument-hint', meta.argumentHint],
    ],
    instructionFiles: [SHARED_INSTRUCTIONS, 'CLAUDE.md'],
  },
  codex: {
    name: 'codex',
    title: 'Codex',
    format: 'markdown',
    filePath: (step) => `.agents/skills/kit-${step}/SKILL.md`,
    invocation: (step) => `$kit-${step}`,
    argumentsPlaceholder: (step) => `the rest of the user's message after \`$kit-${step}\` (it may be empty)`,
    headerFields: (step, meta) => [
      ['name', `kit-${step}`],
      ['description', meta.description],
    ],
    instructionFiles: [SHARED_INSTRUCTIONS],
  },
  gemini: {
    name: 'gemini',
    title: 'Gemini CLI',
    format: 'toml',
    filePath: (step) => `.gemini/commands/kit.${step}.toml`,
    invocation: slashCommand,
    argumentsPlaceholder: () => '{{args}}',
    headerFields: (_step, meta) => [['description', meta.description]],
    instructionFiles: [SHARED_INSTRUCTIONS],
  },
  cursor: {
    name: 'cursor',
    title: 'Cursor',
    format: 'plain-markdown',
    filePath: (step) => `.cursor/commands/kit.${step}.md`,
    invocation: slashCommand,
    argumentsPlaceholder: (step) => `the text the user typed after \`/kit.${step}\` (it may be empty)`,
    headerFields: () => [],
    instructionFiles: [SHARED_INSTRUCTIONS],
  },
  copilot: {
    name: 'copilot',
    title: 'GitHub Copilot',
    format: 'markdown',
    filePath: (step) => `.github/prompts/kit.${step}.prompt.md`,
    invocation: slashCommand,
    argumentsPlaceholder: (step) =>
      `\${input:args:${copilotPlaceholder(step)}} (or the text the user typed after \`/kit.${step}\`)`,
    headerFields: (_step, meta) => [
      ['description', meta.description],
      ['agent', 'agent'],
      ['argument-hint', meta.argumentHint],
    ],
    instructionFiles: [SHARED_INSTRUCTIONS],
  },
  opencode: {
    name: 'opencode',
    title: 'opencode',
    format: 'markdown',
    filePath: (step) => `.opencode/commands/kit.${step}.md`,
    invocation: slashCommand,
    argumentsPlaceholder: () => '$ARGUMENTS',
    headerFields: (_step, meta) => [['description', meta.description]],
    instructionFiles: [SHARED_INSTRUCTIONS],
  },
};

// `${input:name:placeholder}` ends at the first `}`, so the placeholder text must not contain one.
function copilotPlaceholder(step: AgentStep): string {
  return step === 'specify'
    ? 'what the feature should do'
    : step === 'implement' || step === 'review'
      ? 'WP id'
      : 'feature';
}

export function agentDefinition(name: AgentName): AgentDefinition {
  return AGENTS[name];
}

export function isAgentName(value: string): value is AgentName {
  return (AGENT_NAMES as readonly string[]).includes(value);
}

/**
 * Parses agent names from the command line. Only the names above are accepted, so nothing a user types
 * ever becomes part of a path; anything else (including `../x`) is refused with the list of known agents.
 */
export function parseAgentNames(values: readonly string[]): AgentName[] {
  const names: AgentName[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '') continue;
      if (!isAgentName(name)) {
        throw new KitError(`"${part.trim()}" is not an agent kit knows`, {
          hint: `known agents: ${AGENT_NAMES.join(', ')}`,
          exitCode: ExitCode.invalidInput,
        });
      }
      if (!names.includes(name)) names.push(name);
    }
  }
  if (names.length === 0) {
    throw new KitError('name at least one agent', { hint: `known agents: ${AGENT_NAMES.join(', ')}` });
  }
  return names;
}

/** The instruction files (AGENTS.md, CLAUDE.md) the given agents need, in a stable order. */
export function instructionFilesFor(agents: readonly AgentName[]): string[] {
  const files = new Set<string>();
  for (const name of AGENT_NAMES) {
    if (agents.includes(name)) for (const file of AGENTS[name].instructionFiles) files.add(file);
  }
  return [...files];
}

/**
 * Git pathspecs of every file kit may install for any agent, plus `.kit/`. These are planning files that
 * live on the target branch, so a WP branch that changes them is refused like one that changes the specs.
 */
export function kitOwnedPathspecs(): string[] {
  const specs = new Set<string>([':(top).kit/']);
  for (const name of AGENT_NAMES) {
    for (const step of AGENT_STEPS) specs.add(`:(top,literal)${AGENTS[name].filePath(step)}`);
  }
  return [...specs];
}

import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  AGENT_NAMES,
  AGENT_STEPS,
  agentDefinition,
  instructionFilesFor,
  kitOwnedPathspecs,
  parseAgentNames,
} from '../../src/domain/agent-catalog.js';
import {
  type AgentTemplates,
  locateSection,
  removeSection,
  renderAgentFiles,
  renderSection,
  SECTION_BEGIN,
  SECTION_END,
  tomlMultilineString,
  upsertSection,
} from '../../src/domain/agent-files.js';
import { KitError } from '../../src/errors.js';
import { loadAgentTemplates } from '../../src/io/agent-templates.js';

const templates = loadAgentTemplates();

/** Splits `---\n<yaml>\n---\n<body>` and parses the YAML. */
function frontmatter(text: string): { data: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!match?.[1] || match[2] === undefined) throw new Error(`no frontmatter in\n${text.slice(0, 200)}`);
  return { data: parseYaml(match[1]) as Record<string, unknown>, body: match[2] };
}

describe('the bundled agent templates', () => {
  it('have a semver version, a change note for it, and every workflow step', () => {
    expect(templates.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(templates.changes.map((change) => change.version)).toContain(templates.version);
    expect(Object.keys(templates.steps).sort()).toEqual([...AGENT_STEPS].sort());
  });

  it('tell agents the real kit commands, the worktree rule and the review gates', () => {
    const body = (step: (typeof AGENT_STEPS)[number]) => templates.steps[step]?.body ?? '';
    expect(body('specify')).toContain('kit specify "');
    expect(body('plan')).toContain('kit plan --feature');
    expect(body('tasks')).toMatch(/kit tasks --feature[\s\S]*kit check --feature/);
    expect(body('implement')).toMatch(/kit next --json[\s\S]*kit implement WP02[\s\S]*kit prompt/);
    expect(body('implement')).toContain('kit move WP02 --to for_review');
    expect(body('implement')).toMatch(/Stay inside the worktree/);
    expect(body('review')).toContain('kit review WP02 --approve');
    expect(body('review')).toContain('kit review WP02 --reject --note');
    expect(body('review')).toMatch(/diff of the WP branch against its base/);
    expect(body('review')).toMatch(/Run the project's tests/);
    expect(body('merge')).toMatch(/kit merge --feature <feature> --dry-run[\s\S]*kit merge --feature <feature>/);
    expect(body('status')).toContain('kit status --json');
  });
});

describe('renderAgentFiles', () => {
  it.each(AGENT_NAMES)('%s: one file per step, in its own format, with its own argument placeholder', (name) => {
    const agent = agentDefinition(name);
    const files = renderAgentFiles(agent, templates);
    expect(files.map((file) => file.path)).toEqual(AGENT_STEPS.map((step) => agent.filePath(step)));
    for (const [index, file] of files.entries()) {
      const step = AGENT_STEPS[index] ?? 'specify';
      const meta = templates.steps[step]?.meta;
      // No template placeholder is left behind (Gemini's own {{args}} is the one exception).
      expect(file.content.replace(/\{\{args\}\}/g, '')).not.toMatch(/\{\{[a-z_]+\}\}/);
      if (agent.format === 'toml') {
        const toml = parseToml(file.content) as Record<string, unknown>;
        expect(Object.keys(toml).sort()).toEqual(['description', 'prompt']);
        expect(toml.description).toBe(meta?.description);
        expect(toml.prompt).toContain('User input: {{args}}');
        expect(toml.prompt).toContain('/kit.');
      } else if (agent.format === 'plain-markdown') {
        expect(file.content.startsWith('---')).toBe(false);
        expect(file.content).toMatch(/^# kit /m);
        expect(file.content).toContain(`after \`/kit.${step}\``);
      } else {
        const { data, body } = frontmatter(file.content);
        expect(data.description).toBe(meta?.description);
        expect(body).toMatch(/^# kit /m);
        if (name === 'codex') {
          expect(data.name).toBe(`kit-${step}`);
          expect(file.path).toBe(`.agents/skills/kit-${step}/SKILL.md`);
          expect(body).toContain(`after \`$kit-${step}\``);
        }
        if (name === 'claude' || name === 'opencode') expect(body).toContain('User input: $ARGUMENTS');
        if (name === 'claude') expect(data['argument-hint']).toBe(meta?.argumentHint);
        if (name === 'copilot') {
          expect(file.path).toMatch(/^\.github\/prompts\/kit\.[a-z]+\.prompt\.md$/);
          expect(data.agent).toBe('agent');
          expect(body).toMatch(/\$\{input:args:[^}]+\}/);
        }
      }
    }
  });

  it("names the agent's own invocations of the other steps", () => {
    const claude = renderAgentFiles(agentDefinition('claude'), templates);
    const codex = renderAgentFiles(agentDefinition('codex'), templates);
    expect(claude.find((file) => file.path.endsWith('kit.specify.md'))?.content).toContain('/kit.plan');
    expect(codex.find((file) => file.path.includes('kit-specify'))?.content).toContain('$kit-plan');
  });

  it('writes a TOML prompt that contains triple quotes as a basic string that reads back exactly', () => {
    const text = "Say '''hello''' and \\ back\\slash \"quoted\"\n";
    expect(parseToml(`prompt = ${tomlMultilineString(text)}\n`).prompt).toBe(text);
    const control = 'A bell \u0007 and a carriage return \r in the text\n';
    expect(parseToml(`prompt = ${tomlMultilineString(control)}\n`).prompt).toBe(control);
    const plain = 'No quotes, a \\ backslash and {{args}}\n';
    expect(parseToml(`prompt = ${tomlMultilineString(plain)}\n`).prompt).toBe(plain);
  });
});

describe('the marked section', () => {
  const section = renderSection(templates as AgentTemplates);

  it('is appended after a blank line, and only the lines between the markers change on an update', () => {
    const original = '# Project\n\nOur own rules.\n';
    const added = upsertSection(original, section, 'AGENTS.md');
    expect(added).toBe(`${original}\n${section}`);
    const withTail = `${added}\n## After kit\n\nMore of ours.\n`;
    const changed = section.replace('## kit workflow', '## kit workflow (new)');
    const updated = upsertSection(withTail, changed, 'AGENTS.md');
    expect(updated).toBe(withTail.replace('## kit workflow', '## kit workflow (new)'));
    expect(locateSection(updated, 'AGENTS.md')?.text).toBe(changed);
  });

  it("keeps a CRLF file's line endings and reads its section back with LF", () => {
    const original = '# Project\r\n\r\nRules.\r\n';
    const added = upsertSection(original, section, 'AGENTS.md');
    expect(added.startsWith(original)).toBe(true);
    expect(added.replace(/\r\n/g, '')).not.toContain('\n');
    expect(locateSection(added, 'AGENTS.md')?.text).toBe(section);
    expect(removeSection(added, 'AGENTS.md')).toBe(original);
  });

  it('is removed with the blank line kit put before it, leaving the rest byte for byte', () => {
    const original = '# Project\n\nOur own rules.\n';
    expect(removeSection(upsertSection(original, section, 'AGENTS.md'), 'AGENTS.md')).toBe(original);
    expect(removeSection(section, 'CLAUDE.md')).toBe('');
  });

  it('refuses a damaged section, naming the file and line', () => {
    const damaged = `# Project\n\n${SECTION_BEGIN}\nhalf a section\n`;
    expect(() => upsertSection(damaged, section, 'AGENTS.md')).toThrow(KitError);
    expect(() => locateSection(damaged, 'AGENTS.md')).toThrow(/AGENTS\.md:3: kit's section is damaged/);
    expect(() => locateSection(`${SECTION_END}\n${SECTION_BEGIN}\n`, 'AGENTS.md')).toThrow(/damaged/);
  });
});

describe('agent names', () => {
  it('accepts known names (case, commas and repeats forgiven) and refuses anything else with the list', () => {
    expect(parseAgentNames(['Claude', 'codex,gemini', 'claude'])).toEqual(['claude', 'codex', 'gemini']);
    for (const bad of ['windsurf', '../claude', '.claude', 'claude/../x', '/etc']) {
      let error: unknown;
      try {
        parseAgentNames([bad]);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(KitError);
      expect((error as KitError).exitCode).toBe(3);
      expect((error as KitError).hint).toBe(`known agents: ${AGENT_NAMES.join(', ')}`);
    }
  });

  it('AGENTS.md is for every agent, CLAUDE.md only while Claude is installed', () => {
    expect(instructionFilesFor(['codex'])).toEqual(['AGENTS.md']);
    expect(instructionFilesFor(['gemini', 'claude'])).toEqual(['AGENTS.md', 'CLAUDE.md']);
    expect(instructionFilesFor([])).toEqual([]);
  });

  it("the move guard's pathspecs cover .kit/ and every file kit installs", () => {
    const specs = kitOwnedPathspecs();
    expect(specs).toContain(':(top).kit/');
    for (const name of AGENT_NAMES) {
      for (const step of AGENT_STEPS) expect(specs).toContain(`:(top,literal)${agentDefinition(name).filePath(step)}`);
    }
  });
});

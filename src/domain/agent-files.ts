/**
 * What kit writes for an agent, computed from the bundled templates: one command file per workflow step
 * in the agent's own format, and the marked workflow section of AGENTS.md / CLAUDE.md. Pure: text in,
 * text out; io/agent-files.ts reads and writes the files.
 */
import { createHash } from 'node:crypto';
import { ExitCode, KitError } from '../errors.js';
import { AGENT_STEPS, type AgentDefinition, type AgentStep, type StepMeta } from './agent-catalog.js';
import { fillTemplate } from './template.js';

export interface AgentStepTemplate {
  meta: StepMeta;
  /** Markdown with `{{arguments}}`, `{{invoke_<step>}}` and `{{template_version}}` placeholders. */
  body: string;
}

/** The bundled templates: one semver version for the whole set, with what changed in each version. */
export interface AgentTemplates {
  version: string;
  changes: { version: string; summary: string }[];
  steps: Partial<Record<AgentStep, AgentStepTemplate>>;
  /** The workflow section for AGENTS.md and CLAUDE.md (without its markers). */
  section: string;
}

export interface RenderedFile {
  /** Repository-relative path, forward slashes. */
  path: string;
  content: string;
}

/** SHA-256 of the UTF-8 text, hex: what the manifest records to tell kit's files from edited ones. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The command files of one agent, in step order. */
export function renderAgentFiles(agent: AgentDefinition, templates: AgentTemplates): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const step of AGENT_STEPS) {
    const template = templates.steps[step];
    if (!template) continue;
    const values: Record<string, string> = {
      arguments: agent.argumentsPlaceholder(step),
      template_version: templates.version,
    };
    for (const other of AGENT_STEPS) values[`invoke_${other}`] = agent.invocation(other);
    const body = fillTemplate(template.body, values).replace(/\s*$/, '\n');
    files.push({
      path: agent.filePath(step),
      content: renderFile(agent, step, template.meta, body, templates.version),
    });
  }
  return files;
}

function provenance(version: string): string {
  return (
    `Installed by kit (agent templates ${version}). While this file is unchanged, kit agents add updates it; ` +
    'once you edit it, kit keeps your version.'
  );
}

function renderFile(agent: AgentDefinition, step: AgentStep, meta: StepMeta, body: string, version: string): string {
  const fields = agent.headerFields(step, meta);
  const note = provenance(version);
  if (agent.format === 'toml') {
    const lines = [`# ${note}`, ...fields.map(([key, value]) => `${key} = ${tomlBasicString(value)}`)];
    return `${lines.join('\n')}\nprompt = ${tomlMultilineString(body)}\n`;
  }
  const comment = `<!-- ${note} -->\n\n`;
  if (agent.format === 'plain-markdown') return `${comment}${body}`;
  const frontmatter = fields.map(([key, value]) => `${key}: ${yamlString(value)}`).join('\n');
  return `---\n${frontmatter}\n---\n\n${comment}${body}`;
}

/** A YAML double-quoted scalar. JSON's string syntax is a subset of YAML's, so JSON.stringify is exact. */
export function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** A TOML basic string ("..."): backslash, quote and control characters escaped. */
export function tomlBasicString(value: string): string {
  return `"${escapeToml(value)}"`;
}

/**
 * A TOML multi-line string. A literal string ('''...''') keeps the text exactly as written (backslashes
 * and all), so it is used unless the text itself contains ''' ; then a basic string with escapes.
 */
export function tomlMultilineString(value: string): string {
  if (!value.includes("'''") && !hasControlCharacter(value)) {
    // A newline right after the opening delimiter is trimmed by TOML readers, so the text starts cleanly.
    return `'''\n${value}'''`;
  }
  const escaped = value
    .split('\n')
    .map((line) => escapeToml(line))
    .join('\n');
  return `"""\n${escaped}"""`;
}

/** Control characters a TOML literal string cannot hold as they are (tab and line feed it can). */
function hasControlCharacter(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if ((code < 0x20 && char !== '\t' && char !== '\n') || code === 0x7f) return true;
  }
  return false;
}

function escapeToml(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '\\') escaped += '\\\\';
    else if (char === '"') escaped += '\\"';
    else if (char === '\n') escaped += '\\n';
    else if (char === '\r') escaped += '\\r';
    else if (char === '\t') escaped += '\\t';
    else if (code < 0x20 || code === 0x7f) escaped += `\\u${code.toString(16).padStart(4, '0')}`;
    else escaped += char;
  }
  return escaped;
}

// ---------------------------------------------------------------------------------------------------
// The marked section in AGENTS.md and CLAUDE.md

export const SECTION_BEGIN =
  '<!-- kit:agents:begin (managed by kit; kit agents add updates it, kit agents remove removes it) -->';
export const SECTION_END = '<!-- kit:agents:end -->';
const BEGIN_LINE = /^<!-- kit:agents:begin\b.*-->[ \t]*\r?$/gm;
const END_LINE = /^<!-- kit:agents:end\b.*-->[ \t]*\r?$/gm;

/** The section as kit writes it, markers included, with LF line endings. */
export function renderSection(templates: AgentTemplates): string {
  const content = fillTemplate(templates.section, { template_version: templates.version }).replace(/\s*$/, '\n');
  return `${SECTION_BEGIN}\n${content}${SECTION_END}\n`;
}

export interface SectionRange {
  /** Offset of the begin marker line. */
  start: number;
  /** Offset just past the end marker line (and its line ending). */
  end: number;
  /** The section text, markers included, with LF line endings (what the manifest hashes). */
  text: string;
}

/**
 * Where kit's section is in a file, or null when the file has none. Half a section (a begin marker
 * without its end, or two of either) is an error naming the file: guessing would edit the wrong lines.
 */
export function locateSection(text: string, file: string): SectionRange | null {
  const begins = [...text.matchAll(BEGIN_LINE)];
  const ends = [...text.matchAll(END_LINE)];
  if (begins.length === 0 && ends.length === 0) return null;
  const begin = begins[0];
  const end = ends[0];
  if (begins.length !== 1 || ends.length !== 1 || !begin || !end || end.index < begin.index) {
    const line = lineOf(text, (begin ?? end)?.index ?? 0);
    throw new KitError(`${file}:${line}: kit's section is damaged (it needs one begin and one end marker, in order)`, {
      hint: 'restore the kit:agents:begin and kit:agents:end marker lines (or delete both with what is between), then run kit again',
      exitCode: ExitCode.invalidInput,
      file,
      line,
    });
  }
  const afterEnd = text.indexOf('\n', end.index);
  const stop = afterEnd === -1 ? text.length : afterEnd + 1;
  return { start: begin.index, end: stop, text: toLf(text.slice(begin.index, stop)).replace(/\n?$/, '\n') };
}

/**
 * The file with kit's section set to `section`: replaced in place when present (every byte outside the
 * markers stays as it was), else appended after a blank line. The file's line endings are kept.
 */
export function upsertSection(text: string, section: string, file: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = section.replace(/\n/g, eol);
  const range = locateSection(text, file);
  if (range) return text.slice(0, range.start) + block + text.slice(range.end);
  if (text.length === 0) return block;
  const separator = text.endsWith('\n') ? eol : `${eol}${eol}`;
  return `${text}${separator}${block}`;
}

/** The file without kit's section (and the blank line kit put before it). */
export function removeSection(text: string, file: string): string {
  const range = locateSection(text, file);
  if (!range) return text;
  let start = range.start;
  const before = text.slice(0, start);
  const blank = /(\r?\n)\r?\n$/.exec(before);
  if (blank) start -= blank[0].length - (blank[1] ?? '').length;
  return text.slice(0, start) + text.slice(range.end);
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The one module that owns YAML frontmatter: splitting a Markdown file, reading its data, and editing it
 * without disturbing a byte kit did not mean to change.
 *
 * Traps this module guards against:
 * - gray-matter 4 caches results by content, so a mutated result leaks into the next parse: we always pass
 *   an options object (which bypasses the cache) and never mutate what it returns.
 * - gray-matter's js-yaml 3 engine turns unquoted dates into Date objects: we turn them back into strings.
 * - gray-matter accepts a frontmatter block with no closing `---`, and its stringify drops comments and
 *   rewrites quotes, flow lists and dates: we split the file ourselves and never write with gray-matter.
 * - A full re-stringify with `yaml` re-indents block lists and folds long lines. Edits are therefore
 *   surgical: `yaml` parses the block to find the exact source range of the value being changed, and only
 *   that range is replaced. Every other byte (comments, quoting, list style, the body, CRLF line endings,
 *   a UTF-8 BOM) stays as it was, and the result is re-parsed to prove the edit did what was asked.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type GrayMatter from 'gray-matter';
import type { Document, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { kitFile } from './install-dir.js';

// gray-matter is CommonJS: require it on first parse, so a command served from the cache never loads it.
const require = createRequire(import.meta.url);
let grayMatter: typeof GrayMatter | undefined;

export type FrontmatterSplit = {
  ok: true;
  bom: string;
  eol: '\n' | '\r\n';
  /** The YAML between the delimiters, each line with its line ending. */
  yaml: string;
  /** Offset of `yaml` in the text (after the BOM and the opening delimiter line). */
  yamlStart: number;
  /** 1-based line number of the first YAML line (the opening `---` is line 1). */
  firstYamlLine: number;
  /** Offset where the body starts (after the closing delimiter line). */
  bodyStart: number;
};

export type FrontmatterFailure = { ok: false; reason: string; line: number };

const OPENING = /^---[ \t]*$/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*$/;

/** Splits `---\n<yaml>---\n<body>`; says why when the text has no well-formed frontmatter block. */
export function splitFrontmatter(text: string): FrontmatterSplit | FrontmatterFailure {
  const bom = text.startsWith('\ufeff') ? '\ufeff' : '';
  const start = bom.length;
  if (text.length === start) return { ok: false, reason: 'the file is empty', line: 1 };
  const firstEnd = text.indexOf('\n', start);
  const firstLine = text.slice(start, firstEnd === -1 ? text.length : firstEnd).replace(/\r$/, '');
  if (!OPENING.test(firstLine) || firstEnd === -1) {
    return { ok: false, reason: 'the file has no YAML frontmatter (it must start with a line "---")', line: 1 };
  }
  const eol = text[firstEnd - 1] === '\r' ? '\r\n' : '\n';
  let lineStart = firstEnd + 1;
  while (lineStart <= text.length) {
    const lineEnd = text.indexOf('\n', lineStart);
    const content = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, '');
    if (CLOSING.test(content)) {
      return {
        ok: true,
        bom,
        eol,
        yaml: text.slice(firstEnd + 1, lineStart),
        yamlStart: firstEnd + 1,
        firstYamlLine: 2,
        bodyStart: lineEnd === -1 ? text.length : lineEnd + 1,
      };
    }
    if (lineEnd === -1) break;
    lineStart = lineEnd + 1;
  }
  return { ok: false, reason: 'the frontmatter has no closing "---" line', line: 1 };
}

export type FrontmatterData = Record<string, unknown>;

export type ParsedFrontmatter =
  { ok: true; split: FrontmatterSplit; data: FrontmatterData; keyLines: Record<string, number> } | FrontmatterFailure;

/** Reads the frontmatter data of a Markdown file, with the 1-based line of every top-level key. */
export function parseFrontmatter(text: string): ParsedFrontmatter {
  const split = splitFrontmatter(text);
  if (!split.ok) return split;
  let data: unknown;
  try {
    // The options object bypasses gray-matter's content cache (see the header).
    grayMatter ??= require('gray-matter') as typeof GrayMatter;
    data = grayMatter(`---${split.eol}${split.yaml}---${split.eol}`, {}).data;
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    const reason = (error as Error).message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    // gray-matter hands js-yaml the text from the end of the opening `---`, so mark.line 0 is file line 1.
    const line = 1 + (mark?.line ?? 0);
    return { ok: false, reason: `the frontmatter is not valid YAML: ${reason}`, line };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, reason: 'the frontmatter must be a YAML mapping of keys to values', line: 2 };
  }
  return { ok: true, split, data: normalizeDates(data) as FrontmatterData, keyLines: topLevelKeyLines(split) };
}

function normalizeDates(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(normalizeDates);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeDates(v)]));
  }
  return value;
}

function topLevelKeyLines(split: FrontmatterSplit): Record<string, number> {
  const lines: Record<string, number> = {};
  const rows = split.yaml.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const match = /^(?:"([^"]+)"|'([^']+)'|([^\s#'"][^:]*?))[ \t]*:(?:\s|$)/.exec(rows[i] ?? '');
    const key = match?.[1] ?? match?.[2] ?? match?.[3];
    if (key !== undefined && !(key in lines)) lines[key] = split.firstYamlLine + i;
  }
  return lines;
}

/** Replaces the body (everything after the frontmatter) and leaves the frontmatter bytes as they are. */
export function replaceBody(text: string, change: (body: string, eol: '\n' | '\r\n') => string): string {
  const split = splitFrontmatter(text);
  if (!split.ok) throw new Error(`cannot edit the body: ${split.reason}`);
  return text.slice(0, split.bodyStart) + change(text.slice(split.bodyStart), split.eol);
}

// ---------------------------------------------------------------------------------------------------
// Surgical edits

export type FrontmatterValue = string | readonly string[] | null;

export type FrontmatterEdit =
  | { kind: 'set'; key: string; value: FrontmatterValue }
  | { kind: 'append'; key: string; item: Readonly<Record<string, string>> };

type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

interface TextChange {
  start: number;
  end: number;
  text: string;
}

let yamlModule: typeof import('yaml') | undefined;

/**
 * Loads `yaml` on first use: read-only commands never pay for it. The build's one-file copy of it
 * (dist/vendor/yaml.js, scripts/build.mjs) loads in well under half the time of the package's many files;
 * running from source (the tests' unit runs), the package itself.
 */
export async function loadYaml(): Promise<typeof import('yaml')> {
  yamlModule ??= await importYaml();
  return yamlModule;
}

async function importYaml(): Promise<typeof import('yaml')> {
  const bundled = kitFile('dist', 'vendor', 'yaml.js');
  if (existsSync(bundled)) {
    const loaded = (await import(pathToFileURL(bundled).href)) as { default: typeof import('yaml') };
    return loaded.default;
  }
  return import('yaml');
}

/**
 * Loads `yaml` and runs it once on a tiny document, in the background: for a command that is about to
 * wait for a slow git process (a worktree checkout) and edits frontmatter afterwards, the loading and
 * the first, cold parse then happen while git works instead of after it.
 */
export function warmUpFrontmatterEditing(): void {
  loadYaml()
    .then((YAML) => YAML.parseDocument('lane: planned\n', { version: '1.1' }))
    .catch(() => undefined);
}

/**
 * Applies edits to a Markdown file's frontmatter and returns the new text. Only the edited values change;
 * keys that do not exist yet are added at the end of the block. Throws if the result would not read back
 * as intended (a bug, never a half-written file: the caller writes only what this returns).
 */
export async function editFrontmatter(text: string, edits: readonly FrontmatterEdit[]): Promise<string> {
  const YAML = await loadYaml();
  const split = splitFrontmatter(text);
  if (!split.ok) throw new Error(`cannot edit frontmatter: ${split.reason}`);
  const block = split.yaml.length > 0 && !split.yaml.endsWith('\n') ? `${split.yaml}${split.eol}` : split.yaml;
  const yaml = editsInOnePass(YAML, block, edits, split.eol) ?? editsOneByOne(YAML, block, edits, split.eol);
  const result = text.slice(0, split.yamlStart) + yaml + text.slice(split.yamlStart + split.yaml.length);
  verifyEdits(YAML, text, result, edits);
  return result;
}

function parseForEdit(YAML: typeof import('yaml'), yaml: string): Document {
  return YAML.parseDocument(yaml, { keepSourceTokens: true, uniqueKeys: false });
}

/** Each edit planned on a fresh parse of the block as the edits before it left it. */
function editsOneByOne(
  YAML: typeof import('yaml'),
  block: string,
  edits: readonly FrontmatterEdit[],
  eol: string,
): string {
  let yaml = block;
  for (const edit of edits) {
    const change = planEdit(YAML, parseForEdit(YAML, yaml), yaml, edit, eol);
    yaml = yaml.slice(0, change.start) + change.text + yaml.slice(change.end);
  }
  return yaml;
}

/**
 * The same result as editsOneByOne from a single parse (each parse of a cold `yaml` costs milliseconds):
 * an edit of a key the block has changes only that key's value, or adds after the end of its list, so
 * edits of different keys never overlap and are applied from the last one back; keys the block does not
 * have yet are added at its end in the order given, which is where one-by-one edits put them too. Null
 * (take them one by one) when a key is edited twice or two changes would touch.
 */
function editsInOnePass(
  YAML: typeof import('yaml'),
  block: string,
  edits: readonly FrontmatterEdit[],
  eol: string,
): string | null {
  if (new Set(edits.map((edit) => edit.key)).size !== edits.length) return null;
  const doc = parseForEdit(YAML, block);
  const changes: TextChange[] = [];
  let added = '';
  for (const edit of edits) {
    if (findPair(YAML, doc, edit.key)) changes.push(planEdit(YAML, doc, block, edit, eol));
    else added += newKeyText(YAML, edit, eol);
  }
  changes.sort((a, b) => b.start - a.start);
  let yaml = block;
  let limit = block.length;
  for (const change of changes) {
    if (change.end > limit || (change !== changes[0] && change.end === limit)) return null;
    yaml = yaml.slice(0, change.start) + change.text + yaml.slice(change.end);
    limit = change.start;
  }
  return yaml + added;
}

function findPair(YAML: typeof import('yaml'), doc: Document, key: string): Pair | undefined {
  const root = doc.contents;
  return YAML.isMap(root)
    ? (root as YAMLMap).items.find((item) => YAML.isScalar(item.key) && (item.key as Scalar).value === key)
    : undefined;
}

/** The lines that add a key the block does not have, at its end. */
function newKeyText(YAML: typeof import('yaml'), edit: FrontmatterEdit, eol: string): string {
  return edit.kind === 'set'
    ? `${edit.key}:${renderInlineValue(YAML, edit.value, undefined)}${eol}`
    : `${edit.key}:${eol}${renderBlockItem(YAML, edit.item, 0, undefined, eol)}`;
}

function planEdit(
  YAML: typeof import('yaml'),
  doc: Document,
  yaml: string,
  edit: FrontmatterEdit,
  eol: string,
): TextChange {
  const pair = findPair(YAML, doc, edit.key);
  if (!pair) return { start: yaml.length, end: yaml.length, text: newKeyText(YAML, edit, eol) };
  return edit.kind === 'set'
    ? planSet(YAML, pair, yaml, edit.value, eol)
    : planAppend(YAML, pair, yaml, edit.item, eol);
}

function planSet(YAML: typeof import('yaml'), pair: Pair, yaml: string, value: FrontmatterValue, eol: string) {
  const node = pair.value as Scalar | YAMLSeq | YAMLMap | null;
  const keyEnd = (pair.key as Scalar).range?.[1] ?? 0;
  const colon = yaml.indexOf(':', keyEnd);
  if (!node?.range) {
    return { start: colon + 1, end: colon + 1, text: renderInlineValue(YAML, value, undefined) };
  }
  const [start, end] = node.range;
  const original = yaml.slice(start, end);
  const trailingEol = original.endsWith('\n') ? eol : '';
  const isBlockSeq = YAML.isSeq(node) && !(node as YAMLSeq).flow;
  if (Array.isArray(value) && isBlockSeq && value.length > 0) {
    const column = start - (yaml.lastIndexOf('\n', start - 1) + 1);
    const style = firstItemStyle(YAML, node as YAMLSeq);
    const items = (value as readonly string[]).map((item) => `- ${renderScalar(YAML, item, style)}`);
    return { start, end, text: items.join(`${eol}${' '.repeat(column)}`) + (trailingEol || eol) };
  }
  if (YAML.isCollection(node) && !(node as YAMLSeq).flow) {
    // A block collection becomes an inline value: rewrite from the colon to the end of the block.
    return { start: colon + 1, end, text: `${renderInlineValue(YAML, value, node)}${trailingEol || eol}` };
  }
  if (start === end) {
    // An empty value (`agent:`): the new one needs its own separating space unless one is already there.
    const rendered = renderInlineValue(YAML, value, node);
    return { start, end, text: yaml[start - 1] === ' ' ? rendered.trimStart() : rendered };
  }
  return { start, end, text: renderInlineValue(YAML, value, node).trimStart() + trailingEol };
}

function planAppend(
  YAML: typeof import('yaml'),
  pair: Pair,
  yaml: string,
  item: Readonly<Record<string, string>>,
  eol: string,
): TextChange {
  const node = pair.value as YAMLSeq | Scalar | null;
  if (node && YAML.isSeq(node) && !node.flow && node.range && node.items.length > 0) {
    const [start, end] = node.range;
    const column = start - (yaml.lastIndexOf('\n', start - 1) + 1);
    const last = node.items[node.items.length - 1];
    const template = YAML.isMap(last) ? (last as YAMLMap) : undefined;
    const atEnd = yaml.slice(start, end).endsWith('\n') ? end : end;
    const prefix = yaml.slice(start, end).endsWith('\n') ? '' : eol;
    return { start: atEnd, end: atEnd, text: prefix + renderBlockItem(YAML, item, column, template, eol) };
  }
  if (node && YAML.isSeq(node) && node.items.length > 0) {
    throw new Error(`cannot append to the flow list "${String((pair.key as Scalar).value)}"`);
  }
  // Empty, null or `[]`: the value becomes a block list (Spec Kitty's style, items at the key's column).
  const keyStart = (pair.key as Scalar).range?.[0] ?? 0;
  const column = keyStart - (yaml.lastIndexOf('\n', keyStart - 1) + 1);
  const keyEnd = (pair.key as Scalar).range?.[1] ?? keyStart;
  const colon = yaml.indexOf(':', keyEnd);
  const valueEnd = node?.range ? node.range[1] : colon + 1;
  const lineEnd = yaml.indexOf('\n', Math.max(valueEnd - 1, colon));
  const end = lineEnd === -1 ? yaml.length : lineEnd + 1;
  return { start: colon + 1, end, text: eol + renderBlockItem(YAML, item, column, undefined, eol) };
}

function renderBlockItem(
  YAML: typeof import('yaml'),
  item: Readonly<Record<string, string>>,
  column: number,
  template: YAMLMap | undefined,
  eol: string,
): string {
  const pad = ' '.repeat(column);
  return Object.entries(item)
    .map(([key, value], index) => {
      const templateNode = template?.items.find((p) => YAML.isScalar(p.key) && (p.key as Scalar).value === key)?.value;
      const style = YAML.isScalar(templateNode) ? scalarStyle(templateNode as Scalar) : undefined;
      return `${pad}${index === 0 ? '- ' : '  '}${key}: ${renderScalar(YAML, value, style)}${eol}`;
    })
    .join('');
}

function renderInlineValue(
  YAML: typeof import('yaml'),
  value: FrontmatterValue,
  node: Scalar | YAMLSeq | YAMLMap | null | undefined,
): string {
  if (value === null) return '';
  if (Array.isArray(value)) {
    const style = node && YAML.isSeq(node) ? firstItemStyle(YAML, node as YAMLSeq) : undefined;
    return ` [${(value as readonly string[]).map((item) => renderScalar(YAML, item, style)).join(', ')}]`;
  }
  const style = node && YAML.isScalar(node) ? scalarStyle(node as Scalar) : undefined;
  return ` ${renderScalar(YAML, value as string, style)}`;
}

function firstItemStyle(YAML: typeof import('yaml'), seq: YAMLSeq): ScalarStyle | undefined {
  const first = seq.items[0];
  return YAML.isScalar(first) ? scalarStyle(first as Scalar) : undefined;
}

function scalarStyle(node: Scalar): ScalarStyle | undefined {
  const type = node.type;
  return type === 'QUOTE_SINGLE' || type === 'QUOTE_DOUBLE' || type === 'PLAIN' ? type : undefined;
}

// YAML 1.1 readers (js-yaml, PyYAML) give these plain scalars another type: quote them by default.
const AMBIGUOUS_PLAIN =
  /^(?:$|~|null|true|false|yes|no|on|off|y|n|[-+]?[\d._]+(?:e[-+]?\d+)?|\d{4}-\d\d-\d\d.*|0x.*|\.inf|\.nan)$/i;

/** Renders one string in the style it had (or the safest style for a new value). */
export function renderScalar(YAML: typeof import('yaml'), value: string, style: ScalarStyle | undefined): string {
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  const needsQuotes = AMBIGUOUS_PLAIN.test(value) || /[\r\n]/.test(value);
  // A plain scalar stays plain only while it still reads back as the same string (`2026-01-01` or `yes`
  // would not), so an ambiguous new value is quoted whatever the old style was.
  if (style === 'QUOTE_SINGLE' || needsQuotes) {
    return /[\r\n\t]/.test(value) ? JSON.stringify(value) : `'${value.replace(/'/g, "''")}'`;
  }
  const plain = YAML.stringify(value, { lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
  return plain.includes('\n') ? JSON.stringify(value) : plain;
}

function verifyEdits(YAML: typeof import('yaml'), before: string, after: string, edits: readonly FrontmatterEdit[]) {
  // Read back with the `yaml` the edit has loaded already; only a block it cannot read takes the slower
  // way through gray-matter, so a lane change never loads gray-matter, js-yaml and esprima.
  // Both sides are read by the same reader, so a difference is the edit's and never the readers'.
  let old = parseWithYaml(YAML, before);
  let now = parseWithYaml(YAML, after);
  if (!old || !now) {
    old = parseFrontmatter(before);
    now = parseFrontmatter(after);
  }
  if (!old.ok || !now.ok) throw new Error('frontmatter edit produced unreadable YAML');
  const expected: FrontmatterData = { ...old.data };
  for (const edit of edits) {
    if (edit.kind === 'set') expected[edit.key] = edit.value === null ? null : edit.value;
    else
      expected[edit.key] = [...(Array.isArray(expected[edit.key]) ? (expected[edit.key] as unknown[]) : []), edit.item];
  }
  const body = (text: string, split: FrontmatterSplit) => text.slice(split.bodyStart);
  if (JSON.stringify(comparable(expected)) !== JSON.stringify(comparable(now.data))) {
    throw new Error('frontmatter edit did not read back as intended');
  }
  if (body(before, old.split) !== body(after, now.split)) throw new Error('frontmatter edit changed the body');
}

/**
 * Reads the frontmatter of a file about to be edited (the same result as parseFrontmatter), with the
 * `yaml` package the edit loads anyway; see parseWithYaml for when gray-matter still reads it.
 */
export async function parseFrontmatterForEdit(text: string): Promise<ParsedFrontmatter> {
  return parseWithYaml(await loadYaml(), text) ?? parseFrontmatter(text);
}

/**
 * The frontmatter as `yaml` reads it in YAML 1.1 mode, or null when `yaml` reports any error or warning
 * (then parseFrontmatter, through gray-matter's js-yaml, decides, with its own message and line).
 * YAML 1.1 mode types plain scalars at least as eagerly as js-yaml (yes/no, octal, sexagesimal, dates,
 * merge keys), so a value that js-yaml would not read back as the string kit wrote does not read back
 * as that string here either; keys and strings read the same. Dates become strings as in parseFrontmatter.
 */
function parseWithYaml(YAML: typeof import('yaml'), text: string): ParsedFrontmatter | null {
  const split = splitFrontmatter(text);
  if (!split.ok) return split;
  const doc = YAML.parseDocument(split.yaml, { version: '1.1', merge: true, uniqueKeys: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return null;
  let data: unknown;
  try {
    data = doc.toJS();
  } catch {
    return null;
  }
  // Anything but a mapping (an empty block included, which gray-matter reads as {}) is left to gray-matter.
  if (data === null || typeof data !== 'object' || Object.getPrototypeOf(data) !== Object.prototype) return null;
  return { ok: true, split, data: normalizeDates(data) as FrontmatterData, keyLines: topLevelKeyLines(split) };
}

// js-yaml reads plain numbers and booleans; kit writes strings. Compare as strings so `shell_pid: 123`
// written back as `shell_pid: 123` counts as the same value.
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  }
  return value === null || value === undefined ? '' : String(value);
}

import { findCycles } from './dependency-graph.js';
import { isWorkPackageId } from './identifiers.js';

export interface PlannedWorkPackage {
  id: string;
  title: string;
  dependencies: string[];
  subtasks: string[];
  phase?: string;
  line: number;
}

export interface TasksProblem {
  line: number;
  message: string;
}

export interface TasksDocument {
  workPackages: PlannedWorkPackage[];
  problems: TasksProblem[];
}

interface Heading {
  level: number;
  text: string;
}

interface DependencyMention {
  id: string;
  line: number;
}

interface Draft {
  wp: PlannedWorkPackage;
  level: number;
  mentions: DependencyMention[];
  subtasks: Set<string>;
}

/** Where dependency prose is expected inside the current work package section. */
type DependencyContext = { kind: 'none' } | { kind: 'section' } | { kind: 'list'; started: boolean };

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
// Any indentation: agents nest fences inside list items deeper than CommonMark's three spaces.
const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;
const WP_HEADING = /^(?:work[ \t]+package[ \t]+)?(?:\*\*|__|`)?(WP\d+)\b(?:\*\*|__|`)?(.*)$/i;
const PRIORITY_SUFFIX = /\s*\(\s*priority\s*:.*$/i;
const PHASE_HEADING = /^phase\b/i;
const DEPENDENCY_SECTION = /^(?:\*\*|__)?\s*(?:dependencies|dependency|depends[ \t]+on|prerequisites)\b/i;
const LIST_MARKER = /^\s*(?:[-*+]|\d+[.)])\s+/;
const CHECKBOX = /^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+(.*)$/;
// Spec Kitty inserts late subtasks with a letter suffix (T014b).
const SUBTASK_ID = /^(?:\[[^\]]*\]\s*|\*\*|__|`)*(T\d+[a-z]?)\b/;
const EMPHASIS = '(?:\\*\\*|__)?';
const RANGE_SEPARATOR = '[ \\t]*(?:-|–|—|\\.\\.|to|through)[ \\t]*';
const DEPENDENCY_LABEL = 'dependencies|dependency|depends[ \\t]+on|depends|blocked[ \\t]+by|requires|prerequisites?';
// "Label: value" dependency lines, with emphasis around the label and/or colon in any of the usual places.
const LABELLED_DEPENDENCY = new RegExp(
  `^${EMPHASIS}\\s*(?:${DEPENDENCY_LABEL})\\s*${EMPHASIS}\\s*:\\s*${EMPHASIS}(.*)$`,
  'i',
);
const PROSE_DEPENDENCY = new RegExp(`^${EMPHASIS}\\s*(?:depends?[ \\t]+on|blocked[ \\t]+by)\\b${EMPHASIS}(.*)$`, 'i');
// In a dependencies section these verbs also introduce dependencies; elsewhere they are too ambiguous.
const SECTION_PROSE_DEPENDENCY = new RegExp(`^${EMPHASIS}\\s*(?:requires|needs)\\b${EMPHASIS}(.*)$`, 'i');
// "- WP01 (for X)": a bare list of ids, optionally followed by an explanation but not by a verb ("WP02 can run ...").
const ID_LIST_ENTRY = `WP\\d+(?:${RANGE_SEPARATOR}(?:WP)?\\d+)?(?:\\*\\*|__|\`)?(?:\\s*(?:,|&|\\/|\\+|and\\b)\\s*)?`;
const ID_LIST_ITEM = new RegExp(`^(?:\\*\\*|__|\`)?((?:${ID_LIST_ENTRY})+)(.*)$`, 'i');
const ID_LIST_TAIL = /^(?:$|[:(—–\-.,]|(?:for|because|since|as|so)\b)/i;
const NO_DEPENDENCIES =
  /^(?:\*\*|__|`)?\s*(?:none|n\/a|nothing|no[ \t]+(?:dependencies|deps|prerequisites)|-+|—|–)(?![\w-])/i;
// Clauses that name work packages which are explicitly not prerequisites.
const STOP_WORDS = [
  'but',
  'except',
  'excluding',
  'parallel',
  'concurrent(?:ly)?',
  'alongside',
  'not',
  'blocks',
  'unblocks',
  'enables',
  'independent(?:ly)?',
  'however',
  'although',
  'though',
  'whereas',
  'before',
];
const STOP_CLAUSE = new RegExp(`\\b(?:${STOP_WORDS.join('|')})\\b|∥`, 'i');
const ID_OR_RANGE = new RegExp(`\\bWP(\\d+)(?:${RANGE_SEPARATOR}(?:WP)?(\\d+))?\\b`, 'gi');

/** Parses a feature's tasks.md into its planned work packages plus the problems a human should fix. */
export function parseTasksDocument(text: string): TasksDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const problems: TasksProblem[] = [];
  const drafts: Draft[] = [];
  const firstLine = new Map<string, number>();
  const headings: Heading[] = [];
  let current: Draft | null = null;
  let context: DependencyContext = { kind: 'none' };
  let fence: string | null = null;
  let inComment = false;

  for (let index = 0; index < lines.length; index += 1) {
    const lineNumber = index + 1;
    let raw = lines[index] ?? '';

    if (fence !== null) {
      const closing = FENCE_CLOSE.exec(raw)?.[1];
      if (closing !== undefined && closing[0] === fence[0] && closing.length >= fence.length) fence = null;
      continue;
    }
    const stripped = stripComments(raw, inComment);
    inComment = stripped.open;
    raw = stripped.text;
    const fenceMatch = FENCE_OPEN.exec(raw);
    // A backtick fence's info string cannot contain backticks: "```x```" is inline code, not a fence.
    if (fenceMatch?.[1] !== undefined && !(fenceMatch[1].startsWith('`') && (fenceMatch[2] ?? '').includes('`'))) {
      fence = fenceMatch[1];
      continue;
    }

    const heading = HEADING.exec(raw);
    if (heading) {
      const level = (heading[1] ?? '#').length;
      const headingText = (heading[2] ?? '')
        .replace(/[ \t]+#+$/, '')
        .replace(/^#+$/, '')
        .trim();
      while (headings.length > 0 && (headings[headings.length - 1] as Heading).level >= level) headings.pop();
      const wpMatch = level >= 2 ? WP_HEADING.exec(headingText) : null;
      if (wpMatch && isHeadingSeparator(wpMatch[2] ?? '')) {
        current = null;
        context = { kind: 'none' };
        const id = (wpMatch[1] ?? '').toUpperCase();
        if (!isWorkPackageId(id)) {
          problems.push({ line: lineNumber, message: `bad WP id ${id}: expected WP + 2 or 3 digits, e.g. WP01` });
        } else if (firstLine.has(id)) {
          problems.push({ line: lineNumber, message: `${id} is defined twice (first at line ${firstLine.get(id)})` });
        } else {
          firstLine.set(id, lineNumber);
          const wp: PlannedWorkPackage = {
            id,
            title: cleanTitle(wpMatch[2] ?? ''),
            dependencies: [],
            subtasks: [],
            line: lineNumber,
          };
          const phase = enclosingPhase(headings);
          if (phase !== undefined) wp.phase = phase;
          current = { wp, level, mentions: [], subtasks: new Set() };
          drafts.push(current);
        }
        // A malformed or duplicate heading still closes the previous section so its content is not misattributed.
        headings.push({ level, text: headingText });
        if (current === null) current = orphanSection(level);
        continue;
      }
      headings.push({ level, text: headingText });
      if (current !== null && level <= current.level) {
        current = null;
        context = { kind: 'none' };
        continue;
      }
      if (current !== null) {
        context = DEPENDENCY_SECTION.test(headingText) ? { kind: 'section' } : { kind: 'none' };
      }
      continue;
    }

    if (current === null) continue;
    const draft = current;
    const body = raw.trim();

    const checkbox = CHECKBOX.exec(raw);
    if (checkbox) {
      const subtask = SUBTASK_ID.exec((checkbox[1] ?? '').trim());
      if (subtask?.[1] !== undefined) draft.subtasks.add(subtask[1]);
    }

    if (context.kind === 'list') {
      const isItem = LIST_MARKER.test(raw);
      if (body === '' && !context.started) continue;
      if (!isItem) context = { kind: 'none' };
      else context.started = true;
    }

    const item = body.replace(LIST_MARKER, '');
    const labelled = LABELLED_DEPENDENCY.exec(item);
    if (labelled) {
      const value = (labelled[1] ?? '').trim();
      if (value === '' || /^(?:\*\*|__)$/.test(value)) {
        context = { kind: 'list', started: false };
      } else {
        addMentions(draft, value, lineNumber, problems);
      }
      continue;
    }
    const prose = PROSE_DEPENDENCY.exec(item);
    if (prose) {
      addMentions(draft, prose[1] ?? '', lineNumber, problems);
      continue;
    }
    if (context.kind === 'section' || context.kind === 'list') {
      const verb = SECTION_PROSE_DEPENDENCY.exec(item);
      if (verb) addMentions(draft, verb[1] ?? '', lineNumber, problems);
      else {
        const list = ID_LIST_ITEM.exec(item);
        if (list && ID_LIST_TAIL.test((list[2] ?? '').trim())) addMentions(draft, list[1] ?? '', lineNumber, problems);
      }
    }
  }

  const workPackages = drafts.map((draft) => finish(draft, firstLine, problems));
  for (const cycle of findCycles(workPackages)) {
    if (cycle.length < 2) continue;
    const first = cycle[0] as string;
    problems.push({
      line: firstLine.get(first) ?? 1,
      message: `dependency cycle: ${[...cycle, first].join(' → ')}`,
    });
  }
  problems.sort((a, b) => a.line - b.line);
  return { workPackages, problems };
}

function finish(draft: Draft, firstLine: Map<string, number>, problems: TasksProblem[]): PlannedWorkPackage {
  const { wp } = draft;
  for (const mention of draft.mentions) {
    if (wp.dependencies.includes(mention.id)) continue;
    if (mention.id === wp.id) {
      problems.push({ line: mention.line, message: `${wp.id} depends on itself` });
      continue;
    }
    if (!firstLine.has(mention.id)) {
      problems.push({
        line: mention.line,
        message: `${wp.id} depends on ${mention.id}, which tasks.md does not define`,
      });
    }
    wp.dependencies.push(mention.id);
  }
  wp.subtasks = [...draft.subtasks];
  return wp;
}

/** Swallows the content of a malformed or duplicate WP heading without creating a work package. */
function orphanSection(level: number): Draft {
  return {
    wp: { id: '', title: '', dependencies: [], subtasks: [], line: 0 },
    level,
    mentions: [],
    subtasks: new Set(),
  };
}

function isHeadingSeparator(rest: string): boolean {
  return rest === '' || /^\s*[:\-–—.|]/.test(rest) || /^\s+\S/.test(rest);
}

function cleanTitle(rest: string): string {
  return rest
    .replace(/^\s*(?:\*\*|__)?\s*[:\-–—.|]?\s*(?:\*\*|__)?\s*/, '')
    .replace(PRIORITY_SUFFIX, '')
    .replace(/[\s#]+$/, '');
}

function enclosingPhase(headings: readonly Heading[]): string | undefined {
  for (let i = headings.length - 1; i >= 0; i -= 1) {
    const text = (headings[i] as Heading).text;
    if (PHASE_HEADING.test(text)) return text;
  }
  return undefined;
}

/** Removes HTML comments, which Markdown renders as nothing; reports whether one is still open at end of line. */
function stripComments(line: string, open: boolean): { text: string; open: boolean } {
  let rest = line;
  let out = '';
  let inside = open;
  while (rest !== '') {
    if (inside) {
      const end = rest.indexOf('-->');
      if (end < 0) return { text: out, open: true };
      rest = rest.slice(end + 3);
      inside = false;
    } else {
      const start = rest.indexOf('<!--');
      if (start < 0) return { text: out + rest, open: false };
      out += rest.slice(0, start);
      rest = rest.slice(start + 4);
      inside = true;
    }
  }
  return { text: out, open: inside };
}

/** Reads the dependency ids out of the text following a dependency label. */
function addMentions(draft: Draft, value: string, line: number, problems: TasksProblem[]): void {
  const text = value.replace(/^[\s*_:`]+/, '');
  if (NO_DEPENDENCIES.test(text)) return;
  const { outer, inner } = splitParentheticals(text);
  let ids = idsIn(firstClause(outer), line, problems);
  // "Depends on all prior WPs (WP01-WP07)": only when the prose itself names none do the asides count.
  if (ids.length === 0) ids = inner.flatMap((aside) => idsIn(firstClause(aside), line, problems));
  for (const id of ids) draft.mentions.push({ id, line });
}

function splitParentheticals(text: string): { outer: string; inner: string[] } {
  const inner: string[] = [];
  let outer = '';
  let depth = 0;
  let aside = '';
  for (const char of text) {
    if (char === '(' || char === '[') {
      if (depth > 0) aside += char;
      depth += 1;
    } else if ((char === ')' || char === ']') && depth > 0) {
      depth -= 1;
      if (depth === 0) {
        inner.push(aside);
        aside = '';
        outer += ' ';
      } else {
        aside += char;
      }
    } else if (depth > 0) {
      aside += char;
    } else {
      outer += char;
    }
  }
  if (depth > 0) inner.push(aside);
  return { outer, inner };
}

/** Keeps the first sentence up to any clause that names work packages which are not prerequisites. */
function firstClause(text: string): string {
  let clause = text.split(/\.(?:\s|$)/)[0] ?? '';
  const stop = STOP_CLAUSE.exec(clause);
  if (stop) clause = clause.slice(0, stop.index);
  return clause;
}

function idsIn(text: string, line: number, problems: TasksProblem[]): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(ID_OR_RANGE)) {
    const startDigits = match[1] ?? '';
    const endDigits = match[2];
    if (startDigits.length < 2 || startDigits.length > 3) {
      problems.push({ line, message: `bad WP id WP${startDigits}: expected WP + 2 or 3 digits, e.g. WP01` });
      continue;
    }
    const start = Number(startDigits);
    const end = endDigits === undefined ? start : Number(endDigits);
    if (endDigits !== undefined && (endDigits.length > 3 || end < start)) {
      problems.push({ line, message: `bad WP range ${match[0]}` });
      continue;
    }
    for (let n = start; n <= end; n += 1) ids.push(`WP${String(n).padStart(startDigits.length, '0')}`);
  }
  return ids;
}

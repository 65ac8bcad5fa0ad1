/**
 * Terminal text measuring for the board: display width (wide East Asian characters and emoji take two
 * columns, combining marks none), cutting to a width with an ellipsis, and word wrapping. Pure. Ink cuts
 * what it renders on its own; these exist so the board can decide layout (how many lines a wrapped body
 * takes, how much of a title fits) before rendering.
 */

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** Columns one character (code point) takes in a terminal. */
export function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if (code < 0x300) return 1;
  // Combining marks, format characters, zero-width spaces and joiners, variation selectors.
  if (ZERO_WIDTH.test(char) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
  if (isWide(code) || EMOJI.test(char)) return 2;
  return 1;
}

/** Columns a string takes in a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** Control characters (a title with a tab or an escape sequence) become spaces, so they cannot break the screen. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** The text cut to at most `width` columns, ending in `…` when something was cut. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

/** The text cut or padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number): string {
  const cutText = cut(text, width);
  return cutText + ' '.repeat(Math.max(0, width - displayWidth(cutText)));
}

/**
 * Word-wraps one line to `width` columns; words longer than a line are broken. Leading indentation is kept
 * on the first line and repeated on continuation lines (so wrapped list items stay indented).
 */
export function wrapLine(line: string, width: number): string[] {
  if (width <= 0) return [''];
  if (displayWidth(line) <= width) return [line];
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const lead = displayWidth(indent) < width / 2 ? indent : '';
  const words = line.slice(indent.length).split(/(\s+)/).filter(Boolean);
  const lines: string[] = [];
  let current = indent;
  let currentWidth = displayWidth(indent);
  const flush = () => {
    lines.push(current.trimEnd());
    current = lead;
    currentWidth = displayWidth(lead);
  };
  for (const word of words) {
    const w = displayWidth(word);
    if (/^\s+$/.test(word)) {
      if (currentWidth + w <= width) {
        current += word;
        currentWidth += w;
      }
      continue;
    }
    if (currentWidth + w > width && currentWidth > displayWidth(lead)) flush();
    if (w <= width - currentWidth) {
      current += word;
      currentWidth += w;
      continue;
    }
    for (const char of word) {
      const cw = charWidth(char);
      if (currentWidth + cw > width) flush();
      current += char;
      currentWidth += cw;
    }
  }
  if (current.trim() !== '' || lines.length === 0) lines.push(current.trimEnd());
  return lines;
}

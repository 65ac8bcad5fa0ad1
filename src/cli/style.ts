/** Terminal styling that respects NO_COLOR, dumb terminals and pipes. */
const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1, cyan: 36 } as const;
export type Style = keyof typeof CODES;

export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  const noColor = process.env.NO_COLOR;
  if (noColor !== undefined && noColor !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return colorEnabled(stream) ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/**
 * The `?` overlay: the keys, and what each mark on a card means. It takes the whole frame but the footer;
 * 22 lines, so it fits an 80×24 terminal (in a smaller one the end is cut off).
 */
import { Box, Text } from 'ink';
import { MARK_LEGEND } from '../state/marks.js';
import { MARK_COLORS } from './colors.js';

export const HELP_KEYS: readonly [string, string][] = [
  ['← → ↑ ↓  h j k l', 'move the selection (below 80 columns ← → switch the lane shown)'],
  ['PgUp PgDn  g G', 'page up and down, first and last card'],
  ['Enter', 'details of the selected WP (Esc goes back; ↑ ↓ PgUp PgDn scroll)'],
  ['Tab  f / Shift-Tab  F', 'next / previous feature, and "all features"'],
  ['/', 'filter cards by id, title, agent, feature or branch (Enter keeps, Esc clears)'],
  ['r', 'reload now (the board also follows every change on its own)'],
  ['?', 'this help'],
  ['q  Esc  Ctrl-C', 'quit'],
];

export function HelpPanel({ width, height }: { width: number; height: number }) {
  const keyWidth = Math.max(...HELP_KEYS.map(([key]) => key.length)) + 2;
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle="round"
      borderColor="cyan"
      paddingX={1}
      overflow="hidden"
    >
      <Box flexDirection="column" flexShrink={0}>
        <Text bold>Keys</Text>
        {HELP_KEYS.map(([key, meaning]) => (
          <Text key={key} wrap="truncate-end">
            <Text color="cyan">{key.padEnd(keyWidth)}</Text>
            {meaning}
          </Text>
        ))}
        <Text bold>Marks on a card</Text>
        {MARK_LEGEND.map((entry) => (
          <Text key={entry.kind} wrap="truncate-end">
            <Text color={MARK_COLORS[entry.kind]}>{entry.mark.padEnd(keyWidth)}</Text>
            {entry.meaning}
          </Text>
        ))}
        <Text dimColor wrap="truncate-end">
          The board is live: it follows the WP files and the git state of every WP worktree.
        </Text>
      </Box>
    </Box>
  );
}

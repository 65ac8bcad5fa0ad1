/** The detail view of one WP: a header, the scrolled window of its lines, the keys. Renders props only. */
import { Box, Text } from 'ink';
import type { DetailView } from '../state/detail-lines.js';
import { TONE_COLORS, tint } from './colors.js';
import { Footer } from './board-screen.js';

export function DetailScreen({ view, width, height }: { view: DetailView; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box flexDirection="column" height={2} flexShrink={0}>
        <Box justifyContent="space-between">
          <Text bold wrap="truncate-end">
            {view.title}
          </Text>
          <Text color="cyan">{view.lane}</Text>
        </Box>
        <Text dimColor wrap="truncate-end">
          {view.info}
        </Text>
      </Box>
      <Box flexDirection="column" height={Math.max(1, height - 3)} flexShrink={0} overflow="hidden">
        {view.lines.map((line, index) => (
          <Text key={index} wrap="truncate-end" {...tint(TONE_COLORS[line.tone])} bold={line.tone === 'heading'}>
            {line.label ? <Text color="cyan">{line.label}</Text> : null}
            {line.text || ' '}
          </Text>
        ))}
      </Box>
      <Footer text={view.footer} />
    </Box>
  );
}

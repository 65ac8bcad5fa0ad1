/**
 * The board as Ink components. They render their props and decide nothing: what is shown, cut and
 * selected was worked out by `boardView` (src/ui/state/board-view.ts).
 */
import { Box, Text } from 'ink';
import type { BoardView, CardView, ColumnView, HeaderView, LaneTab } from '../state/board-view.js';
import { CARD_HEIGHT } from '../state/board-view.js';
import { MARK_COLORS, NOTICE_COLORS, tint } from './colors.js';
import { HelpPanel } from './help-panel.js';

export function Header({ header }: { header: HeaderView }) {
  return (
    <Box flexDirection="column" height={2} flexShrink={0}>
      <Box justifyContent="space-between">
        <Text bold wrap="truncate-end">
          {header.title}
        </Text>
        <Text color="green">{header.progress}</Text>
      </Box>
      <Box justifyContent="space-between">
        <Text dimColor wrap="truncate-end">
          {header.info}
        </Text>
        <Text color={NOTICE_COLORS[header.noticeTone]} wrap="truncate-end">
          {header.notice}
        </Text>
      </Box>
    </Box>
  );
}

export function Card({ card }: { card: CardView }) {
  return (
    <Box flexDirection="column" height={CARD_HEIGHT} flexShrink={0}>
      <Text wrap="truncate-end" inverse={card.selected}>
        <Text {...tint(card.selected ? 'cyan' : undefined)}>{card.selected ? '▸' : ' '}</Text>
        <Text bold>{card.label}</Text> {card.title}
      </Text>
      <Text wrap="truncate-end">
        {' '}
        {card.agent ? <Text color="cyan">{card.agent} </Text> : null}
        {card.marks.map((mark, index) => (
          <Text key={index} color={MARK_COLORS[mark.kind]}>
            {index > 0 ? ' ' : ''}
            {mark.text}
          </Text>
        ))}
      </Text>
    </Box>
  );
}

export function LaneColumn({ column, height, rows }: { column: ColumnView; height: number; rows: number }) {
  return (
    <Box
      flexDirection="column"
      width={column.width}
      height={height}
      flexShrink={0}
      borderStyle="round"
      borderColor={column.focused ? 'cyan' : 'gray'}
    >
      <Text bold {...tint(column.focused ? 'cyan' : undefined)} wrap="truncate-end">
        {column.title} ({column.count})
      </Text>
      <Text dimColor wrap="truncate-end">
        {column.above > 0 ? ` ↑ ${column.above} more` : ' '}
      </Text>
      <Box flexDirection="column" flexGrow={1} minHeight={rows * CARD_HEIGHT}>
        {column.cards.length === 0 ? <Text dimColor> {column.empty}</Text> : null}
        {column.cards.map((card) => (
          <Card key={card.key} card={card} />
        ))}
      </Box>
      <Text dimColor wrap="truncate-end">
        {column.below > 0 ? ` ↓ ${column.below} more` : ' '}
      </Text>
    </Box>
  );
}

export function LaneTabs({ tabs }: { tabs: LaneTab[] }) {
  return (
    <Box height={1} flexShrink={0}>
      <Text wrap="truncate-end">
        {tabs.map((tab, index) => (
          <Text key={tab.lane}>
            {index > 0 ? <Text dimColor> │ </Text> : <Text dimColor>‹ </Text>}
            <Text bold={tab.focused} inverse={tab.focused} {...tint(tab.focused ? 'cyan' : undefined)}>
              {tab.title} {tab.count}
            </Text>
            {index === tabs.length - 1 ? <Text dimColor> ›</Text> : null}
          </Text>
        ))}
      </Text>
    </Box>
  );
}

export function Footer({ text }: { text: string }) {
  return (
    <Box height={1} flexShrink={0}>
      <Text dimColor wrap="truncate-end">
        {text}
      </Text>
    </Box>
  );
}

/** The help overlay over the whole frame, with its own footer. */
export function HelpScreen({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <HelpPanel width={width} height={Math.max(1, height - 1)} />
      <Footer text="any key closes the help · q quit" />
    </Box>
  );
}

/** The whole board screen: header, the lanes, the keys. */
export function BoardScreen({ view }: { view: BoardView }) {
  const { layout } = view;
  const columnHeight = layout.bodyHeight - (view.laneTabs ? 1 : 0);
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <Header header={view.header} />
      <Box flexDirection="column" height={layout.bodyHeight} flexShrink={0}>
        {view.laneTabs ? <LaneTabs tabs={view.laneTabs} /> : null}
        <Box flexDirection="row" height={columnHeight}>
          {view.columns.map((column) => (
            <LaneColumn key={column.lane} column={column} height={columnHeight} rows={layout.visibleRows} />
          ))}
        </Box>
      </Box>
      <Footer text={view.footer} />
    </Box>
  );
}

export function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        The terminal is too small for the board ({columns}×{rows}).
      </Text>
      <Text wrap="truncate-end">Make it at least 30×11, or press q.</Text>
    </Box>
  );
}

import { describe, expect, it } from 'vitest';
import {
  isLaneFilePath,
  isSafeLanePath,
  type LaneOverlayEntry,
  parseLaneOverlayIndex,
  renderLaneOverlayIndex,
  unionEventLog,
} from '../../src/domain/lane-overlay.js';

const BLOB = 'a'.repeat(40);

describe('the lane ref index', () => {
  it('round-trips every entry, removed ones included, sorted by path', () => {
    const entries = new Map<string, LaneOverlayEntry>([
      ['kitty-specs/001-x/tasks/WP02-b.md', { content: 'two', base: BLOB }],
      ['kitty-specs/001-x/tasks/doing/WP01-a.md', { content: null, base: BLOB }],
      ['kitty-specs/001-x/tasks/for_review/WP01-a.md', { content: 'one', base: null }],
    ]);
    const text = renderLaneOverlayIndex(entries, 'main');
    expect(Object.keys(JSON.parse(text).files)).toEqual([...entries.keys()].sort());
    expect(parseLaneOverlayIndex(text)).toEqual([
      { path: 'kitty-specs/001-x/tasks/WP02-b.md', base: BLOB, removed: false },
      { path: 'kitty-specs/001-x/tasks/doing/WP01-a.md', base: BLOB, removed: true },
      { path: 'kitty-specs/001-x/tasks/for_review/WP01-a.md', base: null, removed: false },
    ]);
  });

  it('refuses what another clone could have written to escape the repository or confuse kit', () => {
    const index = (files: unknown, version: unknown = 1) => JSON.stringify({ version, target: 'main', files });
    expect(() => parseLaneOverlayIndex(index({ '../etc/passwd': { base: null } }))).toThrow(/not a path inside/);
    expect(() => parseLaneOverlayIndex(index({ '/abs/WP01.md': { base: null } }))).toThrow(/not a path inside/);
    expect(() => parseLaneOverlayIndex(index({ '.git/config': { base: null } }))).toThrow(/not a path inside/);
    expect(() => parseLaneOverlayIndex(index({ 'k/001-x/tasks/WP01.md': { base: 'HEAD' } }))).toThrow(/not a blob id/);
    // Only the files lane changes write: never a feature's meta.json, its spec, or code.
    for (const path of ['k/001-x/meta.json', 'k/001-x/spec.md', 'src/index.ts', 'k/001-x/WP01.md']) {
      expect(() => parseLaneOverlayIndex(index({ [path]: { base: null } })), path).toThrow(
        /not a file lane changes write/,
      );
    }
    expect(() => parseLaneOverlayIndex(index({}, 2))).toThrow(/version 2/);
    expect(() => parseLaneOverlayIndex('[]')).toThrow(/not a JSON object/);
    expect(() => parseLaneOverlayIndex('{')).toThrow();
  });

  it('takes WP files (flat or in a lane folder), event logs and status.json as lane files', () => {
    for (const path of [
      'kitty-specs/001-x/tasks/WP01-a.md',
      'kitty-specs/001-x/tasks/doing/WP01-a.md',
      'kitty-specs/m-01KZ/status.events.jsonl',
      'kitty-specs/m-01KZ/status.json',
    ]) {
      expect(isLaneFilePath(path), path).toBe(true);
    }
    expect(isLaneFilePath('kitty-specs/../tasks/WP01.md')).toBe(false);
  });

  it('accepts only relative paths without . or .. parts', () => {
    expect(isSafeLanePath('kitty-specs/001-x/tasks/WP01-a.md')).toBe(true);
    for (const bad of ['', 'a//b', './a', 'a/../b', 'a\\b', '/a', '.git/x', 'a/\0']) {
      expect(isSafeLanePath(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('unionEventLog', () => {
  const e = (id: string) => `{"event_id": "${id}"}`;

  it('keeps the target’s lines and adds the lane ref’s lines the target lacks, in their order', () => {
    const target = `${e('1')}\n${e('2')}\n`;
    const lanes = `${e('1')}\n${e('3')}\n${e('4')}\n`;
    expect(unionEventLog(target, lanes)).toBe(`${e('1')}\n${e('2')}\n${e('3')}\n${e('4')}\n`);
  });

  it('is the target unchanged when it has every line already (kit merge wrote them)', () => {
    const target = `${e('1')}\n${e('2')}\n`;
    expect(unionEventLog(target, `${e('1')}\n${e('2')}\n`)).toBe(target);
    expect(unionEventLog(target, '')).toBe(target);
  });

  it('adds a newline to a target without one, and takes the lane ref’s log when the target has none', () => {
    expect(unionEventLog(e('1'), `${e('2')}\n`)).toBe(`${e('1')}\n${e('2')}\n`);
    expect(unionEventLog(null, `${e('2')}\n`)).toBe(`${e('2')}\n`);
  });
});

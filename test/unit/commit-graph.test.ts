import { describe, expect, it } from 'vitest';
import { CommitGraph, type CommitNode, parseCommitGraph } from '../../src/domain/commit-graph.js';

/**
 * The graph the tests walk: the target is at T (T0 ← T1 ← T), outside the graph. WP01 branched from
 * T0 (a ← b), WP02 branched from WP01's b (c ← d), WP03 branched from T0 and later merged T1 (e ← m,
 * where m's parents are e and T1), and a virtual commit v may be added.
 *
 *   T0 ── T1 ── T            (target, not in the graph)
 *    ├─ a ── b               WP01
 *    │        └─ c ── d      WP02
 *    └─ e ── m (merges T1)   WP03
 */
function graph(): CommitGraph {
  const node = (parents: string[], subject = ''): CommitNode => ({ parents, tree: `tree-${subject}`, subject });
  const nodes = new Map<string, CommitNode>([
    ['d', node(['c'], 'd')],
    ['m', node(['e', 'T1'], 'm')],
    ['c', node(['b'], 'c')],
    ['e', node(['T0'], 'e')],
    ['b', node(['a'], 'b')],
    ['a', node(['T0'], 'a')],
  ]);
  return new CommitGraph(nodes, ['d', 'm', 'c', 'e', 'b', 'a']);
}

describe('CommitGraph', () => {
  it('answers ancestry between commits of the graph exactly', () => {
    const g = graph();
    expect(g.isAncestor('a', 'd')).toBe(true);
    expect(g.isAncestor('b', 'c')).toBe(true);
    expect(g.isAncestor('d', 'a')).toBe(false);
    expect(g.isAncestor('e', 'd')).toBe(false);
    expect(g.isAncestor('d', 'd')).toBe(true);
  });

  it('knows a target commit where a walk leaves the graph, and leaves the rest to git', () => {
    const g = graph();
    expect(g.isAncestor('T0', 'd')).toBe(true);
    expect(g.isAncestor('T1', 'm')).toBe(true);
    // T0 precedes T1, but only the target's history (not in the graph) could say so.
    expect(g.isAncestor('T0', 'm')).toBe(true);
    expect(g.isAncestor('T', 'd')).toBeUndefined();
    expect(g.isAncestor('a', 'T')).toBeUndefined();
  });

  it('gives the merge base with the target only when one boundary commit settles it', () => {
    const g = graph();
    expect(g.mergeBaseWithTarget('d')).toBe('T0');
    expect(g.mergeBaseWithTarget('b')).toBe('T0');
    // m reaches both T0 (through e) and T1 (its merge): which is best needs the target's history.
    expect(g.mergeBaseWithTarget('m')).toBeUndefined();
    // A tip outside the graph is on the target already.
    expect(g.mergeBaseWithTarget('T1')).toBe('T1');
  });

  it('lists what a tip has beyond a base, newest first, as git log tip ^base ^target would', () => {
    const g = graph();
    expect(g.commitsBetween('b', 'd')).toEqual(['d', 'c']);
    expect(g.commitsBetween('T0', 'd')).toEqual(['d', 'c', 'b', 'a']);
    expect(g.commitsBetween('d', 'd')).toEqual([]);
  });

  it('takes commits made later into account (a virtual merge base)', () => {
    const g = graph();
    expect(g.commitsBetween('b', 'd')).toEqual(['d', 'c']);
    g.add('v', { parents: ['c', 'T1'], tree: 't', subject: 'virtual' });
    expect(g.commitsBetween('v', 'd')).toEqual(['d']);
    expect(g.isAncestor('c', 'v')).toBe(true);
    expect(g.isAncestor('T1', 'v')).toBe(true);
    expect(g.node('v')?.subject).toBe('virtual');
  });

  it('parses git log --format=%H %P%x00%T%x00%s%x00 output', () => {
    const output = 'c2 c1\0t2\0second: with spaces\0\nc1 p1 p2\0t1\0first\0\n';
    const parsed = parseCommitGraph(output);
    expect(parsed.node('c2')).toEqual({ parents: ['c1'], tree: 't2', subject: 'second: with spaces' });
    expect(parsed.node('c1')).toEqual({ parents: ['p1', 'p2'], tree: 't1', subject: 'first' });
    expect(parsed.commitsBetween('p1', 'c2')).toEqual(['c2', 'c1']);
    expect(parseCommitGraph('').has('anything')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  compareWorkPackageIds,
  findCycles,
  findMissingDependencies,
  type GraphNode,
  topologicalOrder,
} from '../../src/domain/dependency-graph.js';

const node = (id: string, ...dependencies: string[]): GraphNode => ({ id, dependencies });

describe('compareWorkPackageIds', () => {
  it('compares the digits numerically', () => {
    expect(compareWorkPackageIds('WP02', 'WP10')).toBeLessThan(0);
    expect(compareWorkPackageIds('WP10', 'WP02')).toBeGreaterThan(0);
    expect(compareWorkPackageIds('WP99', 'WP100')).toBeLessThan(0);
    expect(compareWorkPackageIds('WP2', 'WP10')).toBeLessThan(0);
  });

  it('falls back to string order when the numbers tie', () => {
    expect(compareWorkPackageIds('WP01', 'WP01')).toBe(0);
    expect(compareWorkPackageIds('WP001', 'WP01')).toBeLessThan(0);
    expect(compareWorkPackageIds('WP01', 'WP001')).toBeGreaterThan(0);
    expect(compareWorkPackageIds('alpha', 'beta')).toBeLessThan(0);
  });

  it('sorts a mixed list', () => {
    expect(['WP10', 'WP02', 'WP100', 'WP01'].sort(compareWorkPackageIds)).toEqual(['WP01', 'WP02', 'WP10', 'WP100']);
  });
});

describe('findMissingDependencies', () => {
  it('returns nothing when every dependency is defined', () => {
    expect(findMissingDependencies([node('WP01'), node('WP02', 'WP01')])).toEqual([]);
  });

  it('lists unknown dependencies in input order, once per node', () => {
    const nodes = [node('WP03', 'WP09', 'WP01', 'WP09'), node('WP01', 'WP07'), node('WP02', 'WP09')];
    expect(findMissingDependencies(nodes)).toEqual([
      { id: 'WP03', missing: 'WP09' },
      { id: 'WP01', missing: 'WP07' },
      { id: 'WP02', missing: 'WP09' },
    ]);
  });
});

describe('findCycles', () => {
  it('returns nothing for a DAG', () => {
    expect(findCycles([node('WP01'), node('WP02', 'WP01'), node('WP03', 'WP01', 'WP02')])).toEqual([]);
  });

  it('reports a three-node cycle in dependency order from its smallest id', () => {
    const nodes = [node('WP02', 'WP03'), node('WP03', 'WP01'), node('WP01', 'WP02')];
    expect(findCycles(nodes)).toEqual([['WP01', 'WP02', 'WP03']]);
  });

  it('reports a self-dependency as a cycle of one', () => {
    expect(findCycles([node('WP01'), node('WP02', 'WP02')])).toEqual([['WP02']]);
  });

  it('reports separate components separately and deterministically', () => {
    const nodes = [
      node('WP05', 'WP04'),
      node('WP04', 'WP05'),
      node('WP01', 'WP02'),
      node('WP02', 'WP01'),
      node('WP03', 'WP01'),
    ];
    expect(findCycles(nodes)).toEqual([
      ['WP01', 'WP02'],
      ['WP04', 'WP05'],
    ]);
    expect(findCycles([...nodes].reverse())).toEqual(findCycles(nodes));
  });

  it('reports every elementary cycle of a knotted component once', () => {
    // WP01 → WP02 → WP01 and WP01 → WP02 → WP03 → WP01 share an edge.
    const nodes = [node('WP01', 'WP02'), node('WP02', 'WP01', 'WP03'), node('WP03', 'WP01')];
    expect(findCycles(nodes)).toEqual([
      ['WP01', 'WP02'],
      ['WP01', 'WP02', 'WP03'],
    ]);
  });

  it('ignores dependencies on unknown ids', () => {
    expect(findCycles([node('WP01', 'WP99'), node('WP99x', 'WP01')])).toEqual([]);
  });

  it('stays bounded on a dense graph', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`);
    const nodes = ids.map((id) => node(id, ...ids.filter((other) => other !== id)));
    const cycles = findCycles(nodes);
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.length).toBeLessThanOrEqual(101);
    for (const cycle of cycles) expect(cycle[0]).toBe('WP01');
  });
});

describe('topologicalOrder', () => {
  it('puts dependencies before dependents', () => {
    const nodes = [node('WP03', 'WP02'), node('WP02', 'WP01'), node('WP01')];
    expect(topologicalOrder(nodes)).toEqual(['WP01', 'WP02', 'WP03']);
  });

  it('breaks ties by id, numerically', () => {
    const nodes = [node('WP10'), node('WP02'), node('WP04', 'WP10'), node('WP03', 'WP02'), node('WP01')];
    expect(topologicalOrder(nodes)).toEqual(['WP01', 'WP02', 'WP03', 'WP10', 'WP04']);
  });

  it('prefers the smallest ready id at each step', () => {
    const nodes = [node('WP01'), node('WP02', 'WP05'), node('WP03', 'WP01'), node('WP04'), node('WP05', 'WP01')];
    expect(topologicalOrder(nodes)).toEqual(['WP01', 'WP03', 'WP04', 'WP05', 'WP02']);
  });

  it('ignores unknown dependencies', () => {
    expect(topologicalOrder([node('WP02', 'WP09'), node('WP01', 'WP02')])).toEqual(['WP02', 'WP01']);
  });

  it('throws on a cycle, including a self-dependency', () => {
    expect(() => topologicalOrder([node('WP01', 'WP02'), node('WP02', 'WP01')])).toThrow(/cycle/);
    expect(() => topologicalOrder([node('WP01', 'WP01')])).toThrow(/cycle/);
  });

  it('returns an empty order for no nodes', () => {
    expect(topologicalOrder([])).toEqual([]);
  });
});

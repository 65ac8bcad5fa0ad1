export interface GraphNode {
  id: string;
  dependencies: readonly string[];
}

// Enumerating elementary cycles is exponential in the worst case; a tasks.md never needs more than a handful reported.
const MAX_CYCLES = 100;
const MAX_SEARCH_STEPS = 100_000;

/** Orders work package ids numerically by their digits (WP2 < WP10), then as plain strings. */
export function compareWorkPackageIds(a: string, b: string): number {
  const da = /\d+/.exec(a);
  const db = /\d+/.exec(b);
  if (da && db) {
    const diff = Number(da[0]) - Number(db[0]);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Lists dependencies that name no node, in input order (each once per node). */
export function findMissingDependencies(nodes: readonly GraphNode[]): { id: string; missing: string }[] {
  const known = new Set(nodes.map((node) => node.id));
  const result: { id: string; missing: string }[] = [];
  for (const node of nodes) {
    const seen = new Set<string>();
    for (const dep of node.dependencies) {
      if (known.has(dep) || seen.has(dep)) continue;
      seen.add(dep);
      result.push({ id: node.id, missing: dep });
    }
  }
  return result;
}

/** Finds dependency cycles, each as ids in dependency order starting at its smallest id (closing edge implied). */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const graph = buildGraph(nodes);
  const ids = [...graph.keys()];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const budget = { cycles: MAX_CYCLES, steps: MAX_SEARCH_STEPS };
  const add = (cycle: string[]): void => {
    const key = cycle.join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    cycles.push(cycle);
  };

  for (const component of stronglyConnectedComponents(ids, graph)) {
    const members = new Set(component);
    const first = component[0];
    if (first === undefined) continue;
    if (component.length === 1) {
      if (graph.get(first)?.includes(first)) add([first]);
      continue;
    }
    // The shortest cycle through the smallest member guarantees every knotted component is reported, even when the
    // exhaustive enumeration below runs out of budget.
    const shortest = shortestCycleThrough(first, graph, members);
    if (shortest) add(shortest);
    for (const cycle of elementaryCycles(component, graph, members, budget)) add(cycle);
  }
  return cycles.sort(compareCycles);
}

/** Returns ids with dependencies before dependents, ties broken by id; throws if the graph has a cycle. */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const graph = buildGraph(nodes);
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, deps] of graph) {
    remaining.set(id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep) ?? [];
      list.push(id);
      dependents.set(dep, list);
    }
  }
  const ready = [...remaining].filter(([, count]) => count === 0).map(([id]) => id);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort(compareWorkPackageIds);
    const next = ready.shift() as string;
    order.push(next);
    for (const dependent of dependents.get(next) ?? []) {
      const count = (remaining.get(dependent) ?? 0) - 1;
      remaining.set(dependent, count);
      if (count === 0) ready.push(dependent);
    }
  }
  if (order.length !== graph.size) {
    const stuck = [...graph.keys()].filter((id) => !order.includes(id));
    throw new Error(`dependency cycle among ${stuck.join(', ')}`);
  }
  return order;
}

/** Sorted adjacency over known ids only; duplicate nodes merge, unknown and repeated deps drop. */
function buildGraph(nodes: readonly GraphNode[]): Map<string, string[]> {
  const known = new Set(nodes.map((node) => node.id));
  const merged = new Map<string, Set<string>>();
  for (const node of nodes) {
    const deps = merged.get(node.id) ?? new Set<string>();
    for (const dep of node.dependencies) if (known.has(dep)) deps.add(dep);
    merged.set(node.id, deps);
  }
  const graph = new Map<string, string[]>();
  for (const id of [...merged.keys()].sort(compareWorkPackageIds)) {
    graph.set(id, [...(merged.get(id) ?? [])].sort(compareWorkPackageIds));
  }
  return graph;
}

/** Tarjan's algorithm (iterative, so deep chains cannot overflow the stack); members sorted by id. */
function stronglyConnectedComponents(ids: readonly string[], graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const deps = graph.get(frame.id) ?? [];
      const dep = deps[frame.next];
      if (dep !== undefined) {
        frame.next += 1;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter);
          counter += 1;
          stack.push(dep);
          onStack.add(dep);
          work.push({ id: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.id, Math.min(low.get(frame.id) ?? 0, index.get(dep) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) ?? 0, low.get(frame.id) ?? 0));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component.sort(compareWorkPackageIds));
      }
    }
  }
  return components;
}

/** Breadth-first search for the shortest path from start back to itself inside one component. */
function shortestCycleThrough(start: string, graph: Map<string, string[]>, members: Set<string>): string[] | null {
  const previous = new Map<string, string>();
  const queue: string[] = [start];
  const visited = new Set<string>([start]);
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const dep of graph.get(current) ?? []) {
      if (!members.has(dep)) continue;
      if (dep === start) {
        const path = [current];
        let step = current;
        while (step !== start) {
          step = previous.get(step) as string;
          path.push(step);
        }
        return path.reverse();
      }
      if (visited.has(dep)) continue;
      visited.add(dep);
      previous.set(dep, current);
      queue.push(dep);
    }
  }
  return null;
}

/** Simple cycles of one component, each rooted at its smallest member so every cycle is found exactly once. */
function elementaryCycles(
  component: readonly string[],
  graph: Map<string, string[]>,
  members: Set<string>,
  budget: { cycles: number; steps: number },
): string[][] {
  const rank = new Map(component.map((id, position) => [id, position]));
  const cycles: string[][] = [];
  for (const start of component) {
    const startRank = rank.get(start) ?? 0;
    const path: string[] = [start];
    const onPath = new Set<string>([start]);
    const iterators: number[] = [0];
    while (path.length > 0) {
      if (budget.cycles <= 0 || budget.steps <= 0) return cycles;
      budget.steps -= 1;
      const top = path.length - 1;
      const current = path[top] as string;
      const deps = graph.get(current) ?? [];
      const position = iterators[top] ?? 0;
      const dep = deps[position];
      if (dep === undefined) {
        path.pop();
        iterators.pop();
        onPath.delete(current);
        continue;
      }
      iterators[top] = position + 1;
      if (!members.has(dep) || (rank.get(dep) ?? 0) < startRank) continue;
      if (dep === start) {
        cycles.push([...path]);
        budget.cycles -= 1;
      } else if (!onPath.has(dep)) {
        path.push(dep);
        onPath.add(dep);
        iterators.push(0);
      }
    }
  }
  return cycles;
}

function compareCycles(a: readonly string[], b: readonly string[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const diff = compareWorkPackageIds(a[i] as string, b[i] as string);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

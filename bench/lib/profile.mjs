// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by module and by function, and the
// inclusive time of kit's own functions, so "where does the time go" has an answer without DevTools.
import { readFileSync } from 'node:fs';
import { sep } from 'node:path';

/** A short name for where a function lives: an npm package, a kit file, node's internals or V8. */
function moduleOf(url, kitRoot) {
  if (!url) return null;
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nodeModules = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (nodeModules !== -1) {
    const parts = path.slice(nodeModules + 14).split(sep);
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  if (path.startsWith('node:')) return 'node internals';
  if (path.startsWith(kitRoot)) return `kit ${path.slice(kitRoot.length + 1)}`;
  return path;
}

export function summarizeProfile(file, kitRoot, { top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = profile.endTime - profile.startTime;

  // Self time charged to the nearest frame on the stack that is a package or kit file, so fs calls and
  // hashing count for the code that asked for them; time inside require()/import is its own bucket.
  const chargeTo = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at).callFrame;
      if (frame.url.startsWith('node:internal/modules/') || frame.functionName === 'wrapSafe') {
        return 'node: loading modules (require/import)';
      }
      const module = moduleOf(frame.url, kitRoot);
      if (module && !module.startsWith('node')) return module;
    }
    const leaf = nodes.get(id).callFrame;
    return leaf.functionName.startsWith('(') ? leaf.functionName : 'node: other internals';
  };
  const byModule = new Map();
  const byFunction = new Map();
  const kitInclusive = new Map();
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    const frame = node.callFrame;
    const module = moduleOf(frame.url, kitRoot) ?? frame.functionName;
    const charged = chargeTo(id);
    byModule.set(charged, (byModule.get(charged) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'}  ${module}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    // Inclusive time of each kit function on the stack (counted once per sample even under recursion).
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at).callFrame;
      const m = moduleOf(f.url, kitRoot);
      if (!m?.startsWith('kit ')) continue;
      const key = `${f.functionName || '(anonymous)'}  ${m}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      kitInclusive.set(key, (kitInclusive.get(key) ?? 0) + us);
    }
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10 }));
  return {
    totalMs: Math.round(totalUs / 100) / 10,
    byModule: rank(byModule),
    byFunction: rank(byFunction),
    kitInclusive: rank(kitInclusive),
  };
}

export function formatProfile(summary) {
  const section = (title, rows) => [
    title,
    ...rows.map(({ name, ms }) => `  ${ms.toFixed(1).padStart(8)} ms  ${name}`),
    '',
  ];
  return [
    `profiled ${summary.totalMs} ms of the process (from V8 start; node's own start-up before that is not included)`,
    '',
    ...section(
      'time by module (node and V8 work charged to the package or kit file that called it):',
      summary.byModule,
    ),
    ...section('self time by function:', summary.byFunction),
    ...section("inclusive time of kit's functions:", summary.kitInclusive),
  ].join('\n');
}

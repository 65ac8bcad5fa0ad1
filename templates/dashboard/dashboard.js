// kit dashboard: the page. Plain JavaScript, no framework: it reads /api/status (kit status --json's
// result), draws every feature's lanes, cards and dependency graph, and reads the status again whenever
// /api/events says something changed. Every value from the repository goes into the page as text
// (textContent, SVG attributes), never as markup.
'use strict';

const LANES = [
  ['planned', 'Planned'],
  ['doing', 'Doing'],
  ['for_review', 'For review'],
  ['done', 'Done'],
];
// kit move's legal moves (src/lanes/transitions.ts); sending a WP back from for_review needs a note.
const MOVES = {
  planned: ['doing'],
  doing: ['for_review', 'planned'],
  for_review: ['done', 'doing', 'planned'],
  done: [],
};
const SVG = 'http://www.w3.org/2000/svg';
const token = document.querySelector('meta[name="kit-token"]')?.getAttribute('content') || '';

const state = {
  status: null,
  text: '',
  fetchedAt: 0,
  feature: null, // null: every feature
  filter: '',
  open: null, // { feature, wp } of the detail panel
  closedGraphs: new Set(), // features whose graph the user folded: every redraw keeps it folded
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function compactAge(seconds) {
  if (seconds < 60) return '<1m';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** The card's marks, as the terminal board shows them (src/ui/state/marks.ts). */
function cardMarks(wp) {
  const marks = [];
  if (wp.statusLane && !['planned', 'in_progress', 'for_review', 'done'].includes(wp.statusLane)) {
    marks.push([wp.statusLane === 'blocked' ? 'blocked' : 'status', wp.statusLane.replace('_', ' ')]);
  }
  if (wp.claimedElsewhere) marks.push(['status', `⇅${wp.claimedElsewhere.agent || wp.claimedElsewhere.host || 'remote'}`]);
  if (wp.blockedBy.length > 0) marks.push(['blocked', `⊘${wp.blockedBy.join(',')}`]);
  if (!wp.git) {
    if (wp.lane === 'planned' && wp.blockedBy.length === 0) marks.push(['ready', 'ready']);
    if (wp.lane === 'doing' || wp.lane === 'for_review') marks.push(['missing', 'no branch']);
    return marks;
  }
  marks.push(['ahead', `↑${wp.git.ahead}`]);
  if (wp.git.uncommitted === null) marks.push(wp.worktree ? ['dirty', '✎?'] : ['missing', 'no wt']);
  else if (wp.git.uncommitted > 0) marks.push(['dirty', `✎${wp.git.uncommitted}`]);
  for (const [id, count] of Object.entries(wp.git.behind)) if (count > 0) marks.push(['stale', `⚠${id}+${count}`]);
  for (const conflict of wp.conflicts || []) marks.push(['conflict', `✗${conflict.with}`]);
  if (wp.git.locked) marks.push(['locked', 'locked']);
  const elapsed = Math.floor((Date.now() - state.fetchedAt) / 1000);
  marks.push(['age', compactAge(wp.git.lastCommitAgeSeconds + Math.max(0, elapsed))]);
  return marks;
}

function matches(feature, wp) {
  const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [wp.id, wp.title, wp.agent, wp.branch, feature.id, feature.title].join(' ').toLowerCase();
  return words.every((word) => haystack.includes(word));
}

function card(feature, wp) {
  const title = [wp.id, wp.title, wp.agent && `agent ${wp.agent}`].filter(Boolean).join(' · ');
  return el(
    'article',
    {
      class: 'card',
      tabindex: 0,
      title,
      'data-wp': wp.id,
      'data-lane': wp.lane,
      onclick: () => openDetail(feature.id, wp.id),
      onkeydown: (event) => {
        if (event.key === 'Enter') openDetail(feature.id, wp.id);
      },
    },
    el('div', {}, el('span', { class: 'id' }, wp.id), el('span', { class: 'title' }, wp.title)),
    el(
      'div',
      { class: 'marks' },
      wp.agent && el('span', { class: 'agent' }, wp.agent),
      cardMarks(wp).map(([kind, text]) => el('span', { class: `mark ${kind}` }, text)),
    ),
  );
}

/** Each WP's column in the graph: one more than its deepest dependency in the same feature. */
function levels(feature) {
  const byId = new Map(feature.workPackages.map((wp) => [wp.id, wp]));
  const level = new Map();
  const visiting = new Set();
  const depth = (id) => {
    if (level.has(id)) return level.get(id);
    if (visiting.has(id)) return 0; // a cycle (kit check reports it): draw it flat
    visiting.add(id);
    const deps = (byId.get(id)?.dependencies || []).filter((dep) => byId.has(dep));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    visiting.delete(id);
    level.set(id, value);
    return value;
  };
  for (const wp of feature.workPackages) depth(wp.id);
  return level;
}

/** The dependency graph as an SVG picture: WPs by dependency depth, an arrow from each dependency. */
function graph(feature) {
  const wps = feature.workPackages;
  if (wps.length === 0 || !wps.some((wp) => wp.dependencies.length > 0)) return null;
  const level = levels(feature);
  const columns = [];
  for (const wp of wps) (columns[level.get(wp.id)] ||= []).push(wp);
  // A dependency cycle leaves a level empty (its WPs are drawn one level further): an empty column, not a hole.
  for (let x = 0; x < columns.length; x++) columns[x] ||= [];
  const W = 150;
  const H = 30;
  const GX = 50;
  const GY = 12;
  const at = new Map();
  columns.forEach((column, x) => column.forEach((wp, y) => at.set(wp.id, { x: 10 + x * (W + GX), y: 10 + y * (H + GY) })));
  const width = 20 + columns.length * (W + GX) - GX;
  const height = 20 + Math.max(...columns.map((column) => column.length)) * (H + GY) - GY;
  const markerId = `arrow-${feature.id}`;
  const picture = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `${feature.id} dependency graph`, 'data-graph': feature.id },
    svg('defs', {}, svg('marker', { id: markerId, viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' }, svg('path', { d: 'M0,0 L8,4 L0,8 z' }))),
  );
  for (const wp of wps) {
    const to = at.get(wp.id);
    for (const dep of wp.dependencies) {
      const from = at.get(dep);
      if (!from) continue;
      const x1 = from.x + W;
      const y1 = from.y + H / 2;
      const x2 = to.x;
      const y2 = to.y + H / 2;
      const bend = Math.max(20, (x2 - x1) / 2);
      picture.append(
        svg('path', {
          class: wp.blockedBy.includes(dep) ? 'edge blocking' : 'edge',
          d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
          'marker-end': `url(#${markerId})`,
        }),
      );
    }
  }
  for (const wp of wps) {
    const { x, y } = at.get(wp.id);
    const label = `${wp.id} ${wp.title}`;
    const node = svg(
      'g',
      { class: 'node', 'data-wp': wp.id, 'data-lane': wp.lane, transform: `translate(${x},${y})` },
      svg('title', {}, `${label} (${wp.lane})`),
      svg('rect', { width: W, height: H, rx: 5 }),
      svg('text', { x: 8, y: 19 }, label.length > 22 ? `${label.slice(0, 21)}…` : label),
    );
    node.addEventListener('click', () => openDetail(feature.id, wp.id));
    picture.append(node);
  }
  const folded = state.closedGraphs.has(feature.id);
  const summary = el('summary', {}, 'Dependency graph');
  const details = el('details', { class: 'graph', open: !folded }, summary, picture);
  // Recorded on the click itself (before the details toggle): the toggle event comes later, as a task, and a
  // redraw in between would draw the graph in its old state.
  summary.addEventListener('click', () => {
    if (details.open) state.closedGraphs.add(feature.id);
    else state.closedGraphs.delete(feature.id);
  });
  return details;
}

/** A canceled Spec Kitty 3.x WP: in no lane (the terminal board names it apart), not finished work in Done. */
function isCanceled(wp) {
  return wp.statusLane === 'canceled';
}

function featureSection(feature) {
  const { done, total, percent } = feature.progress;
  const bar = el('span', {});
  bar.style.width = `${percent}%`;
  const lanes = LANES.map(([lane, name]) => {
    const wps = feature.workPackages.filter((wp) => wp.lane === lane && !isCanceled(wp) && matches(feature, wp));
    return el(
      'section',
      { class: 'lane', 'data-lane': lane },
      el('h3', {}, `${name} (${wps.length})`),
      wps.length > 0 ? wps.map((wp) => card(feature, wp)) : el('div', { class: 'empty' }, '—'),
    );
  });
  return el(
    'section',
    { class: 'feature', 'data-feature': feature.id },
    el('h2', {}, `${feature.id} · ${feature.title}`),
    el(
      'div',
      { class: 'meta' },
      el('div', { class: 'progress', title: `${done}/${total} done` }, bar),
      el('span', {}, `${done}/${total} done (${percent}%)`),
      el('span', {}, `target ${feature.targetBranch || '?'}`),
      feature.format !== '1.x' ? el('span', {}, `format ${feature.format}`) : null,
    ),
    feature.problems.length > 0
      ? el('div', { class: 'problems' }, `${feature.problems.length} problem(s): ${feature.problems.slice(0, 3).map((p) => p.message).join('; ')} (kit check lists them)`)
      : null,
    el('div', { class: 'lanes' }, lanes),
    canceledSection(feature),
    graph(feature),
  );
}

function canceledSection(feature) {
  const wps = feature.workPackages.filter((wp) => isCanceled(wp) && matches(feature, wp));
  if (wps.length === 0) return null;
  return el(
    'section',
    { class: 'lane canceled', 'data-lane': 'canceled' },
    el('h3', {}, `Canceled (${wps.length})`),
    wps.map((wp) => card(feature, wp)),
  );
}

function render() {
  const status = state.status;
  if (!status) return;
  const nav = document.getElementById('features');
  const tab = (id, label) =>
    el('button', { type: 'button', 'aria-pressed': String(state.feature === id), onclick: () => { state.feature = id; render(); } }, label);
  nav.replaceChildren(
    ...(status.features.length > 1 ? [tab(null, `All (${status.features.length})`)] : []),
    ...status.features.map((feature) => tab(feature.id, feature.id)),
  );
  const board = document.getElementById('board');
  const shown = status.features.filter((feature) => state.feature === null || feature.id === state.feature);
  board.replaceChildren(
    ...(shown.length > 0 ? shown.map(featureSection) : [el('p', { class: 'empty' }, 'No features yet: kit specify "..." starts one.')]),
  );
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
}

let loading = null;
let again = false;
/** Reads /api/status and draws it; calls while a read is under way make exactly one more read. */
async function refresh() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      try {
        const response = await fetch('/api/status', { cache: 'no-store' });
        if (!response.ok) throw new Error(`status ${response.status}`);
        const text = await response.text();
        state.fetchedAt = Date.now();
        if (text !== state.text) {
          state.text = text;
          state.status = JSON.parse(text);
          render();
          if (state.open) void openDetail(state.open.feature, state.open.wp, true);
        }
        setLive(`live · ${new Date().toLocaleTimeString()}`, false);
      } catch (error) {
        setLive(`could not read the status (${error.message}); showing the last one`, true);
      }
    } while (again);
    loading = null;
  })();
  return loading;
}

function setLive(text, down) {
  const live = document.getElementById('live');
  live.textContent = text;
  live.classList.toggle('down', down);
}

function table(rows) {
  return el('table', {}, rows.filter(Boolean).map(([key, value]) => el('tr', {}, el('td', {}, key), el('td', {}, value))));
}

async function openDetail(featureId, wpId, quiet) {
  state.open = { feature: featureId, wp: wpId };
  const panel = document.getElementById('detail');
  const body = document.getElementById('detail-body');
  panel.hidden = false;
  if (!quiet) body.replaceChildren(el('p', { class: 'empty' }, `Loading ${wpId}…`));
  let reply;
  try {
    const response = await fetch(`/api/detail?feature=${encodeURIComponent(featureId)}&wp=${encodeURIComponent(wpId)}`, { cache: 'no-store' });
    reply = await response.json();
  } catch (error) {
    reply = { ok: false, error: { message: `could not read ${wpId} (${error.message})` } };
  }
  if (state.open?.feature !== featureId || state.open?.wp !== wpId) return;
  if (!reply.ok) {
    body.replaceChildren(el('p', { class: 'empty' }, reply.error?.message || 'not found'));
    return;
  }
  const d = reply.result;
  const wp = d.workPackage;
  // The frontmatter's history as written: an entry that is not a record (a bare `-` is null) is skipped.
  const entries = d.history.filter((h) => h !== null && typeof h === 'object');
  const git = wp.git;
  const stat = d.diffStat;
  const parts = [
    el('h2', { 'data-detail': wp.id }, `${wp.id} · ${wp.title}`),
    el('div', { class: 'empty' }, `${d.feature.id} · ${wp.lane}${wp.statusLane ? ` (${wp.statusLane})` : ''} · ${wp.file} (${d.source})`),
    actions(d.feature.id, wp),
    el('h3', {}, 'Git'),
    table([
      ['agent', wp.agent || '—'],
      ['dependencies', wp.dependencies.join(', ') || '—'],
      wp.blockedBy.length > 0 && ['blocked by', wp.blockedBy.join(', ')],
      ['branch', wp.branch || '—'],
      ['worktree', wp.worktree || '—'],
      git && ['tip', git.tip.slice(0, 12)],
      git && ['ahead', `${git.ahead} commit(s) beyond its base`],
      git && ['stale base', Object.entries(git.behind).filter(([, n]) => n > 0).map(([id, n]) => `${id} +${n}`).join(', ') || 'no'],
      wp.conflicts && wp.conflicts.length > 0 && ['would conflict', wp.conflicts.map((c) => `${c.with} (${c.files.join(', ')})`).join('; ')],
      git && ['uncommitted', git.uncommittedFiles === null ? 'unknown' : git.uncommittedFiles.join(', ') || 'none'],
      git && ['last commit', `${git.lastCommitAt} (${compactAge(git.lastCommitAgeSeconds)} ago)`],
      git && git.locked && ['locked', 'yes'],
    ]),
    el('h3', {}, `Diff stat${stat ? `: ${stat.files.length} file(s), +${stat.added} −${stat.deleted}` : ''}`),
    stat && stat.files.length > 0
      ? el('table', { class: 'diffstat' }, stat.files.map((file) => el('tr', {}, el('td', {}, file.path), el('td', { class: 'num add' }, file.added === null ? 'bin' : `+${file.added}`), el('td', { class: 'num del' }, file.deleted === null ? '' : `−${file.deleted}`))))
      : el('div', { class: 'empty' }, d.base ? 'no changes beyond its base' : 'no branch yet'),
    d.commits.length > 0 ? el('pre', {}, d.commits.map((c) => `${c.sha.slice(0, 10)} ${c.subject}`).join('\n')) : null,
    el('h3', {}, 'Review feedback'),
    d.reviewFeedback ? el('pre', { class: 'feedback' }, d.reviewFeedback) : el('div', { class: 'empty' }, 'none'),
    el('h3', {}, 'History'),
    entries.length > 0
      ? table(entries.map((h) => [String(h.timestamp ?? ''), [h.lane, h.agent, h.action].filter(Boolean).join(' · ')]))
      : el('div', { class: 'empty' }, 'none'),
    el('h3', {}, 'Prompt'),
    d.problem ? el('div', { class: 'problems' }, d.problem) : null,
    el('pre', { class: 'prompt' }, d.prompt.trim() || '(empty)'),
  ];
  body.replaceChildren(...parts.filter(Boolean));
}

/** Lane moves (only when the server was started with --allow-actions: the page then has a token). */
function actions(featureId, wp) {
  if (!token) return null;
  const targets = MOVES[wp.lane] || [];
  if (targets.length === 0) return null;
  const note = el('input', { type: 'text', placeholder: 'note (needed to send it back from review)' });
  const error = el('div', { class: 'error' });
  const move = async (to) => {
    error.textContent = '';
    const response = await fetch('/api/move', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Kit-Token': token },
      body: JSON.stringify({ feature: featureId, wp: wp.id, to, note: note.value || undefined }),
    });
    const reply = await response.json();
    if (!reply.ok) error.textContent = [reply.error?.message, reply.error?.hint].filter(Boolean).join(' — ');
    await refresh();
  };
  return el(
    'div',
    { class: 'actions' },
    'Move to:',
    targets.map((to) => el('button', { type: 'button', 'data-move': to, onclick: () => move(to) }, to)),
    wp.lane === 'for_review' ? note : null,
    error,
  );
}

function closeDetail() {
  state.open = null;
  document.getElementById('detail').hidden = true;
}

document.getElementById('detail-close').addEventListener('click', closeDetail);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeDetail();
});
document.getElementById('filter').addEventListener('input', (event) => {
  state.filter = event.target.value;
  render();
});

// The first read starts at once; the event stream says when to read again (and, on every (re)connect,
// "hello": a change made while it was down is read then).
void refresh();
const events = new EventSource('/api/events');
events.addEventListener('hello', () => void refresh());
events.addEventListener('change', () => void refresh());
events.addEventListener('error', () => setLive('reconnecting…', true));
// Ages move on without any change in the repository: redraw them once a minute.
setInterval(() => state.status && render(), 60_000);

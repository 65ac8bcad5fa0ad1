// The machine a run happened on, printed above the results and stored in the JSON so that runs on
// different machines (or a loaded one) are not compared as if they were alike.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { median } from './measure.mjs';

/** The filesystem type a path lives on (from /proc/self/mountinfo), or null where that is not available. */
export function filesystemType(path) {
  let mountinfo;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  const target = realpathSync(path);
  let best = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left
      .split(' ')[4]
      ?.replace(/\\(\d{3})/g, (_, octal) => String.fromCharCode(Number.parseInt(octal, 8)));
    const fsType = right.split(' ')[0];
    if (!mountPoint || !fsType) continue;
    const inside = mountPoint === '/' || target === mountPoint || target.startsWith(`${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType };
  }
  return best?.fsType ?? null;
}

function commandOutput(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** Median wall time of `node -e 0`: the floor under every kit command on this machine. */
function nodeStartupMs(runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

export function machineContext({ repoDir, kitRoot, rssMethod }) {
  const cpus = os.cpus();
  const fsType = filesystemType(repoDir);
  const kitCommit = commandOutput('git', ['rev-parse', '--short', 'HEAD'], kitRoot);
  const kitDirty = commandOutput('git', ['status', '--porcelain', '--', 'src'], kitRoot);
  return {
    node: process.version,
    git: commandOutput('git', ['--version'], repoDir)?.replace(/^git version /, '') ?? null,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? null,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    repoDir,
    repoFilesystem: fsType,
    repoOnTmpfs: fsType === null ? null : fsType === 'tmpfs',
    rssMethod,
    nodeStartupMs: Math.round(nodeStartupMs() * 10) / 10,
    kitCommit: kitCommit ? `${kitCommit}${kitDirty ? ' (src/ modified)' : ''}` : null,
  };
}

export function formatContext(context) {
  const tmpfs = context.repoOnTmpfs === null ? 'unknown' : context.repoOnTmpfs ? 'yes' : 'no';
  return [
    `node ${context.node} · git ${context.git ?? '?'} · ${context.platform}`,
    `${context.cpus} CPU${context.cpus === 1 ? '' : 's'} (${context.cpuModel ?? '?'}) · ${context.memoryGb} GB RAM · load ${context.loadAverage.join(' ')}`,
    `repo ${context.repoDir} · filesystem ${context.repoFilesystem ?? '?'} · on tmpfs: ${tmpfs}`,
    `node startup (node -e 0): ${context.nodeStartupMs} ms · max RSS via ${context.rssMethod} · kit ${context.kitCommit ?? '?'}`,
  ].join('\n');
}

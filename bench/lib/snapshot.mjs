// A private copy of the built kit (bin/, dist/, templates/, package.json, oclif.manifest.json, with
// node_modules symlinked), so that an `npm run build` started elsewhere while the bench runs (it deletes
// and rewrites dist/) cannot break runs or mix two builds. Node resolves the symlinked packages to their
// real paths, so the copy loads exactly the same dependency files as the original.
import { cpSync, existsSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const ENTRIES = ['bin', 'dist', 'templates', 'package.json', 'oclif.manifest.json'];

/** Changes whenever `npm run build` runs (it deletes and rewrites dist/ and the manifest). */
export function distStamp(root) {
  try {
    return String(statSync(join(root, 'oclif.manifest.json')).mtimeMs);
  } catch {
    return 'missing';
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Copies the built kit at `source` to `target`; retries while a build is under way there. */
export function snapshotKit(source, target) {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const before = distStamp(source);
    if (before !== 'missing' && existsSync(join(source, 'dist', 'commands'))) {
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target, { recursive: true });
      try {
        for (const entry of ENTRIES) {
          if (existsSync(join(source, entry))) cpSync(join(source, entry), join(target, entry), { recursive: true });
        }
        symlinkSync(join(source, 'node_modules'), join(target, 'node_modules'), 'dir');
        if (distStamp(source) === before) return target;
      } catch {
        // A file vanished mid-copy: a build started. Try again.
      }
    }
    sleep(2000);
  }
  throw new Error(`could not copy a complete build of kit from ${source} (is a build running?)`);
}

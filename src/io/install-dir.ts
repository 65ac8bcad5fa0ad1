/**
 * Files that ship with kit (package.json, templates/, dist/board.js), found from kit's install dir: the
 * nearest directory above this module holding kit's package.json. The build bundles every command into
 * a file of its own (dist/commands/x.js, dist/commands/agents/x.js), so a path relative to the module's
 * own location would depend on which file it was bundled into.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'kit-cli';

let installDir: string | undefined;

/** The absolute path of a file shipped with kit, e.g. `kitFile('templates', 'spec.md')`. */
export function kitFile(...segments: string[]): string {
  installDir ??= findInstallDir(dirname(fileURLToPath(import.meta.url)));
  return join(installDir, ...segments);
}

function findInstallDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (isKitPackage(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`kit's package.json (${PACKAGE_NAME}) is not in ${start} or above`);
  }
}

function isKitPackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

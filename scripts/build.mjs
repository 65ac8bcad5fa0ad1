#!/usr/bin/env node
// Builds dist/ with tsc, then writes oclif.manifest.json so that `kit --help` and command lookup never
// import every command module at start-up (oclif without a manifest loads them all). We build the
// manifest with @oclif/core's own Plugin loader instead of the `oclif` dev tool, which would pull ~300
// packages (the AWS SDK among them) into every install.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
  cwd: root,
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const { Plugin } = await import('@oclif/core');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
await plugin.load();
const commandCount = Object.keys(plugin.manifest.commands).length;
if (commandCount === 0) {
  console.error('build: no commands found in dist/commands');
  process.exit(1);
}
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`build: dist/ and oclif.manifest.json (${commandCount} commands)`);

#!/usr/bin/env node
// Type-checks with tsc, then bundles every command (and the hook) with esbuild into a file of its own in
// dist/, with kit's modules inside and the packages left to node_modules: a command loads one file of
// kit's code instead of ~30 modules, which node's ESM loader resolves and links one by one (~10 ms per
// start-up). Then writes oclif.manifest.json so that `kit --help` and command lookup never import every
// command module at start-up (oclif without a manifest loads them all). We build the manifest with
// @oclif/core's own Plugin loader instead of the `oclif` dev tool, which would pull ~300 packages (the
// AWS SDK among them) into every install.
// The live board (src/ui/board-main.tsx, with Ink, React and chokidar) is bundled with its packages into
// dist/board.js: one file loads in ~0.1 s, where Ink's 566 files take 0.4-1.2 s. Only `kit status` in a
// terminal imports it.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });

const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'],
  { stdio: 'inherit', cwd: root },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

await bundleCommands();
await bundleBoard();
await bundleYaml();

const { Plugin } = await import('@oclif/core');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
await plugin.load();
const commandCount = Object.keys(plugin.manifest.commands).length;
if (commandCount === 0) {
  console.error('build: no commands found in dist/commands');
  process.exit(1);
}
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
await renderHelp(Object.keys(plugin.manifest.commands));
console.log(`build: dist/ and oclif.manifest.json (${commandCount} commands)`);

/**
 * dist/help/<command>.txt: oclif's own help of kit and of every command, as it prints it into a pipe (80
 * columns). bin/run.js prints these when `--help` output goes to a pipe, so an agent asking for help pays
 * for Node's start-up and one file read, not for loading oclif. The line that names the Node version and
 * platform is a placeholder, filled in at run time.
 */
async function renderHelp(ids) {
  const { spawn } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const helpDir = join(root, 'dist', 'help');
  mkdirSync(helpDir, { recursive: true });
  const version = JSON.parse((await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8')).version;
  const userAgent = `kit-cli/${version} ${process.platform}-${process.arch} node-${process.version}`;
  const render = (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'run.js'), ...args, '--help'], {
        env: { ...process.env, KIT_HELP_CACHE: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const out = [];
      child.stdout.on('data', (chunk) => out.push(chunk));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve(Buffer.concat(out).toString('utf8'))
          : reject(new Error(`kit ${args.join(' ')} --help exited ${code}`)),
      );
    });
  await Promise.all(
    [null, ...ids].map(async (id) => {
      const text = await render(id ? id.split(':') : []);
      writeFileSync(join(helpDir, `${id ?? '_kit'}.txt`), text.replaceAll(userAgent, '{{userAgent}}'));
    }),
  );
}

/**
 * dist/commands/**\/*.js and dist/hooks/*.js, at the places tsc would put them (package.json and the
 * manifest name them). Each is self-contained: kit's modules are copied into every entry that uses them,
 * which is harmless because a process runs one command. Files kit ships are found through
 * src/io/install-dir.ts, never relative to a module's own location.
 */
async function bundleCommands() {
  const { build } = await import('esbuild');
  const sources = (dir) =>
    readdirSync(join(root, 'src', dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => join(entry.parentPath, entry.name));
  await build({
    absWorkingDir: root,
    entryPoints: [...sources('commands'), ...sources('hooks'), join(root, 'src', 'fast.ts')],
    outbase: join(root, 'src'),
    outdir: join(root, 'dist'),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    jsx: 'automatic',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/**
 * dist/vendor/yaml.js: the `yaml` package in one file. Loading its ~80 CommonJS files costs a command that
 * edits frontmatter about 25 ms (resolving and reading each); one bundled file about 10 (see loadYaml in
 * src/io/frontmatter.ts, which falls back to the package when this file is missing). The default export is
 * the package's own exports object.
 */
async function bundleYaml() {
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: root,
    stdin: { contents: "import YAML from 'yaml';\nexport default YAML;\n", resolveDir: root, loader: 'js' },
    outfile: join(root, 'dist', 'vendor', 'yaml.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'inline',
    logLevel: 'warning',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
}

/**
 * dist/board.js: the board's entry point with everything it imports except node's built-ins. React is
 * built for production (`process.env.NODE_ENV` is defined, so its development build is dropped), Ink's
 * optional `react-devtools-core` (only loaded when DEV=true) is a stub, and a `require` made with
 * createRequire lets the CommonJS packages inside (react, signal-exit users) require node's built-ins from ESM.
 */
async function bundleBoard() {
  const { build } = await import('esbuild');
  const stubDevtools = {
    name: 'stub-react-devtools-core',
    setup(context) {
      context.onResolve({ filter: /^react-devtools-core$/ }, () => ({
        path: 'react-devtools-core',
        namespace: 'stub',
      }));
      context.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
        contents: 'export default { initialize() {}, connectToDevTools() {} };',
        loader: 'js',
      }));
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'ui', 'board-main.tsx')],
    outfile: join(root, 'dist', 'board.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: {
      js: "import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);",
    },
    plugins: [stubDevtools],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`build: dist/board.js (${(bytes / 1024).toFixed(0)} KB, Ink + React + chokidar bundled)`);
}

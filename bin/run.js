#!/usr/bin/env node
// The only place kit ends the process: oclif sets process.exitCode from the command's outcome.
// package.json's engines field already states the Node versions kit supports; oclif's own runtime check
// would load all of semver on every start-up (~15 ms), which agents calling kit hundreds of times pay.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

// Help into a pipe (what agents read) comes from dist/help/, rendered by oclif at build time
// (scripts/build.mjs): no need to load oclif for it. A terminal, or anything unusual, goes through oclif.
if (
  !process.stdout.isTTY &&
  process.env.KIT_HELP_CACHE !== '0' &&
  process.env.OCLIF_COLUMNS === undefined &&
  process.env.FORCE_COLOR === undefined
) {
  const args = process.argv.slice(2);
  const words = args[0] === 'help' ? args.slice(1) : args.at(-1) === '--help' ? args.slice(0, -1) : null;
  if (words && words.every((word) => /^[a-z]+$/.test(word))) {
    const { readFileSync } = await import('node:fs');
    let text = null;
    try {
      // The root page is _kit.txt: no command word can name it.
      const page = words.length > 0 ? words.join(':') : '_kit';
      text = readFileSync(new URL(`../dist/help/${page}.txt`, import.meta.url), 'utf8');
    } catch {
      text = null;
    }
    if (text !== null) {
      const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
      process.stdout.write(
        text.replaceAll(
          '{{userAgent}}',
          `kit-cli/${version} ${process.platform}-${process.arch} node-${process.version}`,
        ),
      );
      process.exit(0);
    }
  }
}

// Ctrl-C and SIGTERM from the first moment: whatever children kit has started by then are reaped before it
// ends, as 128 + the signal's number (src/io/git-shell.ts keeps the shells in this registry). A command that
// runs until it is stopped (kit dashboard) registers a stop handler instead (src/io/stop-signal.ts): it
// closes what it opened and returns, and kit ends below as after any command.
globalThis[Symbol.for('kit.signalsHandled')] = true;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    const stop = globalThis[Symbol.for('kit.stopHandler')];
    if (typeof stop === 'function') {
      stop(signal);
      return;
    }
    const shells = globalThis[Symbol.for('kit.gitShells')];
    void Promise.all([...(shells ?? [])].map((shell) => shell.close())).finally(() => process.exit(code));
  });
}

// `kit check`, `kit status --json` and `kit move` in their plain forms run without oclif (dist/fast.js,
// src/fast.ts): the same services and output, without the ~55 ms of loading oclif. Anything else goes to oclif.
let handled = false;
const command = process.argv[2];
if (command === 'check' || command === 'status' || command === 'move') {
  const fast = await import('../dist/fast.js').catch(() => null);
  const code = fast ? await fast.runFast(process.argv.slice(2)) : null;
  if (code !== null) {
    process.exitCode = code;
    handled = true;
  }
}
if (!handled) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
// Every child kit started is reaped before it exits: the git shells wait for their jobs (src/io/git-shell.ts).
const closeGitShells = globalThis[Symbol.for('kit.gitShells')];
if (closeGitShells) await Promise.all([...closeGitShells].map((shell) => shell.close()));

#!/usr/bin/env node
// The only place kit ends the process: oclif sets process.exitCode from the command's outcome.
// package.json's engines field already states the Node versions kit supports; oclif's own runtime check
// would load all of semver on every start-up (~15 ms), which agents calling kit hundreds of times pay.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
const { execute } = await import('@oclif/core');

await execute({ dir: import.meta.url });
// Every child kit started is reaped before it exits: the git shells wait for their jobs (src/io/git-shell.ts).
const closeGitShells = globalThis[Symbol.for('kit.gitShells')];
if (closeGitShells) await Promise.all([...closeGitShells].map((shell) => shell.close()));

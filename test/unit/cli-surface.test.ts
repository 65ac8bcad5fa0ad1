import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The CLI's public surface (commands, args, flags and their types) is a contract with scripts and agents.
// This snapshot makes every change to it visible in review; update it with `npx vitest run -u` on purpose.
const manifestUrl = new URL('../../oclif.manifest.json', import.meta.url);

describe.skipIf(!existsSync(manifestUrl))('CLI surface', () => {
  it('matches the committed snapshot', async () => {
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as {
      commands: Record<string, { args: Record<string, object>; flags: Record<string, Record<string, unknown>> }>;
    };
    const surface = Object.fromEntries(
      Object.entries(manifest.commands)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, command]) => [
          id,
          {
            args: Object.keys(command.args),
            flags: Object.fromEntries(
              Object.entries(command.flags)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([name, flag]) => [
                  name,
                  { type: flag.type, char: flag.char ?? null, options: flag.options ?? null },
                ]),
            ),
          },
        ]),
    );
    await expect(`${JSON.stringify(surface, null, 2)}\n`).toMatchFileSnapshot('../cli-surface.snapshot.json');
  });
});

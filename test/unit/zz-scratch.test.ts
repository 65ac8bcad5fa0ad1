import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { independentStatusJson } from '../helpers/spec-kitty-3.js';

it('scan', () => {
  const root = '/tmp/sk3/kitty-specs';
  for (const dir of readdirSync(root).sort()) {
    const logPath = join(root, dir, 'status.events.jsonl');
    if (!existsSync(logPath)) continue;
    const log = readFileSync(logPath, 'utf8');
    const meta = existsSync(join(root, dir, 'meta.json')) ? JSON.parse(readFileSync(join(root, dir, 'meta.json'), 'utf8')) : null;
    const committed = existsSync(join(root, dir, 'status.json')) ? readFileSync(join(root, dir, 'status.json'), 'utf8') : null;
    const indep = independentStatusJson(log, meta, dir);
    if (indep !== committed) {
      const c = committed ? JSON.parse(committed) : {};
      const i = JSON.parse(indep);
      const diffs = Object.keys(i).filter((k) => JSON.stringify(i[k]) !== JSON.stringify(c[k]));
      console.log(dir, diffs.join(','), c.event_count, i.event_count, c.last_event_id === i.last_event_id);
    }
  }
});

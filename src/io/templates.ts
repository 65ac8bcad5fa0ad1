/** Templates ship inside the package (templates/ next to dist/), so kit never needs the network. */
import { readFileSync } from 'node:fs';
import { kitFile } from './install-dir.js';

export type TemplateName = 'spec.md' | 'plan.md' | 'research.md' | 'data-model.md' | 'tasks.md' | 'wp.md';

export function readTemplate(name: TemplateName): string {
  return readFileSync(kitFile('templates', name), 'utf8');
}

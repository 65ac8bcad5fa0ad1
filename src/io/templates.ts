/** Templates ship inside the package (templates/ next to dist/), so kit never needs the network. */
import { readFileSync } from 'node:fs';

const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

export type TemplateName = 'spec.md' | 'plan.md' | 'research.md' | 'data-model.md' | 'tasks.md' | 'wp.md';

export function readTemplate(name: TemplateName): string {
  return readFileSync(new URL(name, TEMPLATES_DIR), 'utf8');
}

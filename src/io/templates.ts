/** Templates ship inside the package (templates/ next to dist/), so kit never needs the network. */
import { readFileSync } from 'node:fs';
import { kitFile } from './install-dir.js';

export type TemplateName = 'spec.md' | 'plan.md' | 'research.md' | 'data-model.md' | 'tasks.md' | 'wp.md';

export function readTemplate(name: TemplateName): string {
  return readFileSync(kitFile('templates', name), 'utf8');
}

/** The dashboard page's files (templates/dashboard/), by the URL path each is served at. */
const DASHBOARD_FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
};

/**
 * The dashboard's files, read once into memory: the server looks a request's path up in this map and
 * never turns it into a file name. The page carries the lane actions' per-run token (empty when they are off).
 */
export function readDashboardAssets(input: {
  token: string | null;
}): Map<string, { contentType: string; body: Buffer }> {
  const assets = new Map<string, { contentType: string; body: Buffer }>();
  for (const [path, { file, contentType }] of Object.entries(DASHBOARD_FILES)) {
    let text = readFileSync(kitFile('templates', 'dashboard', file), 'utf8');
    if (file === 'index.html') text = text.replace('{{token}}', input.token ?? '');
    assets.set(path, { contentType, body: Buffer.from(text) });
  }
  return assets;
}

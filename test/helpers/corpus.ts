import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Real planning trees from public repositories (read-only; see ../shared/corpus/README.md). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/kitty-specs', import.meta.url));
export const corpusAvailable = existsSync(CORPUS_DIR);

/** Every WP file in the corpus, as absolute paths. */
export function corpusWorkPackageFiles(): string[] {
  if (!corpusAvailable) return [];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/^WP\d+.*\.md$/.test(entry.name) && dir.includes('/tasks')) files.push(path);
    }
  };
  walk(CORPUS_DIR);
  return files.sort();
}

/**
 * Opens a URL in the user's browser with the platform's own opener (`xdg-open`, `open`, `start`), as a
 * detached process kit does not wait for. Best effort: a machine without an opener (a server, a
 * container) just does not get a browser window, and nothing fails.
 */
import { spawn } from 'node:child_process';

export function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the URL is printed anyway.
  }
}

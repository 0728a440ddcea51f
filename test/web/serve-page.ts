// Serving the built playground for a browser, without vitest (so bench/
// can use it as well as the page tests in test/web/browser.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');

/** Starts scripts/serve-web.mjs on a free port; resolves to its URL. */
export function serve(dir: string): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [join(root, 'scripts', 'serve-web.mjs'), dir], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    server.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const port = /http:\/\/localhost:(\d+)\//.exec(out)?.[1];
      if (port) resolve({ server, url: `http://127.0.0.1:${port}/` });
    });
    server.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    server.on('exit', (code) => reject(new Error(`serve-web exited (${code}) before printing its URL: ${err}`)));
  });
}

// Runs the real launcher (node bin/rseqlab.mjs) on the TypeScript sources,
// so a stale bundle in dist/ cannot hide a change.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export function rseqlab(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'rseqlab.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, RSEQLAB_FROM_SOURCE: '1', RSEQLAB_DEBUG: '' },
    input: '',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

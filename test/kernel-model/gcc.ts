// Builds small guest programs with the host gcc into a temporary directory.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = mkdtempSync(join(tmpdir(), 'rseqlab-test-'));

/** mallocs and touches 1 MiB after another until malloc fails or the process is killed, printing every 8 MiB. */
export const MEMORY_HOG_C = `
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    for (int mib = 1;; mib++) {
      char *p = malloc(1 << 20);
      if (!p) { puts("malloc failed"); return 1; }
      memset(p, 1, 1 << 20);
      if (mib % 8 == 0) printf("%d MiB\\n", mib);
    }
  }`;

export const HELLO_C = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n';

/** A static program without libc: _start makes exit_group(7). */
export const TINY_C = `void _start(void) {
  __asm__ volatile ("mov $231, %eax\\n mov $7, %edi\\n syscall\\n hlt");
}
int counter = 3;
`;

/** Compiles C source (text or a path) with flags; returns the output's bytes and path. */
export function gcc(name: string, source: string, flags: string[]): { path: string; bytes: Uint8Array } {
  let src = source;
  if (source.includes('\n')) {
    src = join(tempDir, `${name}.c`);
    writeFileSync(src, source);
  }
  const out = join(tempDir, name);
  const r = spawnSync('gcc', ['-O2', ...flags, '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${flags.join(' ')} failed:\n${r.stderr}`);
  return { path: out, bytes: new Uint8Array(readFileSync(out)) };
}

export const STATIC = ['-static', '-fno-pie', '-no-pie'];
export const STATIC_PIE = ['-static-pie', '-fpie'];

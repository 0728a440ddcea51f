// Builds every programs/*.c into build/programs/<name> with gcc, statically
// linked, plus build/programs/hello-pie (-static-pie) to keep that loader
// path covered. A binary newer than its source, than every programs/*.h (the
// rseq programs share rseq-abi.h) and than this script is left alone.
// Prints one line per program; on a gcc failure prints gcc's output and
// exits 1. Run with `npm run build:programs`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'programs');
const outDir = join(root, 'build', 'programs');
const CC = process.env.CC || 'gcc';

// All build flags live here.
const COMMON = ['-O2', '-g', '-Wall', '-Wextra', '-Werror=implicit-function-declaration', '-std=gnu11'];
const LINK_STATIC = ['-static', '-fno-pie', '-no-pie'];
const LINK_STATIC_PIE = ['-static-pie', '-fpie'];
const LIBS = ['-lm'];
// Extra flags for single programs (added after COMMON).
/** @type {Record<string, string[]>} */
const EXTRA = {
  // lets gcc inline lock cmpxchg16b for the 16-byte __sync compare-exchange
  thread_atomics: ['-mcx16'],
  // SSE3..SSE4.2 and popcnt intrinsics: the x86-64-v2 level
  simd_v2: ['-march=x86-64-v2'],
};

/** @typedef {{ name: string, src: string, out: string, flags: string[] }} Target */

/** @returns {Target[]} */
function targets() {
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort();
  /** @type {Target[]} */
  const list = sources.map((f) => ({
    name: f.slice(0, -2),
    src: join(srcDir, f),
    out: join(outDir, f.slice(0, -2)),
    flags: [...(EXTRA[f.slice(0, -2)] ?? []), ...LINK_STATIC],
  }));
  if (sources.includes('hello.c')) {
    list.push({ name: 'hello-pie', src: join(srcDir, 'hello.c'), out: join(outDir, 'hello-pie'), flags: LINK_STATIC_PIE });
  }
  return list;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** The newest programs/*.h: a header change rebuilds every program. */
const newestHeader = readdirSync(srcDir).filter((f) => f.endsWith('.h')).reduce((m, f) => Math.max(m, mtime(join(srcDir, f))), -1);

function upToDate(t) {
  const out = mtime(t.out);
  return out > mtime(t.src) && out > newestHeader && out > mtime(fileURLToPath(import.meta.url));
}

function main() {
  mkdirSync(outDir, { recursive: true });
  let failed = 0;
  for (const t of targets()) {
    const rel = `build/programs/${t.name}`;
    if (upToDate(t)) {
      console.log(`  up to date  ${rel}`);
      continue;
    }
    const args = [...COMMON, ...t.flags, '-o', t.out, t.src, ...LIBS];
    const r = spawnSync(CC, args, { encoding: 'utf8' });
    if (r.error) {
      console.error(`build-programs: cannot run ${CC}: ${r.error.message}. Install gcc (with static glibc, e.g. Debian's libc6-dev) or set CC.`);
      process.exit(1);
    }
    const diagnostics = (r.stdout + r.stderr).trim();
    if (r.status !== 0) {
      console.error(`  FAILED      ${rel}\n${CC} ${args.join(' ')}\n${diagnostics}`);
      failed++;
      continue;
    }
    console.log(`  built       ${rel} (${statSync(t.out).size} bytes)`);
    if (diagnostics) console.log(diagnostics);
  }
  if (failed) {
    console.error(`build-programs: ${failed} program(s) failed to build`);
    process.exit(1);
  }
}

main();

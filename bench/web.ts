// The playground's cost to a person opening it: the wall time from
// navigating to the page until its first step is shown (page, bundle,
// emulator.wasm, the program's ELF, a Machine created and one instruction
// run), and the compressed size of everything the page downloaded for it.
// The reference measured in the same run is the same work in Node without a
// browser (read the program, createCpu, Machine.create, one step).
//
//   npm run bench                                   # this, with the others (bench/index.ts)
//   node --import tsx bench/web.ts [--repeats N]      # this one alone (default 5)
//
// Each repeat is a fresh browser context (empty cache) on build/web/
// served by scripts/serve-web.mjs. Sizes are of the bodies as served, then
// gzip -9 and brotli of each, summed (a static host compresses them so).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { createCpu } from '../emulator/index.js';
import { Machine } from '../kernel-model/machine.js';
import { serve, root } from '../test/web/serve-page.js';
import { BenchError, dur, fmt, isMain, mainWithRepeats, printTable } from './common.js';

export const DEFAULT_WEB_REPEATS = 5;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** The page's default program (web/main.ts), the one a first visit steps. */
const PROGRAM = 'rseq_counter';

export interface WebBenchResult {
  ok: boolean;
  /** Navigation to the first step shown, ms: best and median of the repeats. */
  firstStepMs: number;
  medianFirstStepMs: number;
  /** Navigation until the page says it is ready (before the step), best, ms. */
  readyMs: number;
  /** The same first step in Node (read the ELF, createCpu, Machine.create, one instruction), best, ms. */
  nodeMs: number;
  /** What the page downloaded for it: files, bytes as served, gzip -9, brotli. */
  files: { url: string; bytes: number; gzip: number; brotli: number }[];
}

const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 2)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function webBench(options: { repeats?: number } = {}): Promise<WebBenchResult> {
  const repeats = options.repeats ?? DEFAULT_WEB_REPEATS;
  const site = join(root, 'build', 'web');
  if (!existsSync(join(site, 'index.html'))) throw new BenchError(`${site}/index.html is missing: run 'npm run build:web'`);
  if (!existsSync(CHROMIUM)) throw new BenchError(`Chromium is missing at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);

  const node: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const program = new Uint8Array(readFileSync(join(root, 'build', 'programs', PROGRAM)));
    const m = Machine.create({ cpu: await createCpu(), program, path: `/programs/${PROGRAM}`, argv: [`/programs/${PROGRAM}`, '2', '300'], seed: 1, cpus: 2 });
    m.run({ maxInstructions: 1 });
    node.push(performance.now() - t0);
  }

  const { server, url } = await serve(site);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const firstStep: number[] = [];
  const ready: number[] = [];
  let files: WebBenchResult['files'] = [];
  let ok = true;
  try {
    for (let i = 0; i < repeats; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const bodies = new Map<string, Promise<Buffer | undefined>>();
      page.on('response', (r) => bodies.set(r.url(), r.body().catch(() => undefined)));
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      ready.push(performance.now() - t0);
      await page.click('#step');
      await page.waitForFunction(() => document.querySelector('#retired')?.textContent === '1', undefined, { timeout: 60_000 });
      firstStep.push(performance.now() - t0);
      if (i === 0) {
        files = [];
        for (const [u, body] of bodies) {
          const b = await body;
          if (!b) continue;
          files.push({ url: u.slice(url.length) || '/', bytes: b.length, gzip: gzipSync(b, { level: 9 }).length, brotli: brotliCompressSync(b).length });
        }
        files.sort((a, b) => b.bytes - a.bytes);
        if (!files.some((f) => f.url.endsWith(PROGRAM))) ok = false;
      }
      await context.close();
    }
  } finally {
    await browser.close();
    server.kill();
  }

  const result: WebBenchResult = {
    ok,
    firstStepMs: Math.min(...firstStep),
    medianFirstStepMs: median(firstStep),
    readyMs: Math.min(...ready),
    nodeMs: Math.min(...node),
    files,
  };
  console.log(`\nthe playground in headless Chromium (build/web/ on localhost, a fresh context each time, ${repeats} repeats; default program ${PROGRAM} 2 300 on 2 vCPUs)`);
  console.log(`  navigation to ready:        ${dur(result.readyMs)} best`);
  console.log(`  navigation to first step:   ${dur(result.firstStepMs)} best, ${dur(result.medianFirstStepMs)} median`);
  console.log(`  the same first step in Node: ${dur(result.nodeMs)} best (read the ELF, createCpu, Machine.create, one instruction): the page takes ${fmt(result.firstStepMs / result.nodeMs, 1)}x`);
  const total = (k: 'bytes' | 'gzip' | 'brotli') => files.reduce((n, f) => n + f[k], 0);
  printTable(['downloaded', 'bytes', 'gzip -9', 'brotli'], [
    ...files.map((f) => [f.url, mib(f.bytes), mib(f.gzip), mib(f.brotli)]),
    ['total', mib(total('bytes')), mib(total('gzip')), mib(total('brotli'))],
  ]);
  if (!ok) console.log(`  the page did not download ${PROGRAM}: the first step ran something else`);
  return result;
}

/** The summary line of bench/index.ts. */
export function webSummary(r: WebBenchResult): string {
  const gzip = r.files.reduce((n, f) => n + f.gzip, 0);
  return `${dur(r.firstStepMs)} from navigation to the first step shown in headless Chromium (${fmt(r.firstStepMs / r.nodeMs, 1)}x the ${dur(r.nodeMs)} the same step takes in Node); ${mib(gzip)} downloaded gzipped (${r.files.length} files)`;
}

if (isMain(import.meta.url)) await mainWithRepeats('web', DEFAULT_WEB_REPEATS, webBench);

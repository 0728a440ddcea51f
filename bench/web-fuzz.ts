// The page's fuzzer (web/page-campaign.ts over web/fuzz-worker.ts Web
// Workers in headless Chromium) on one worker and on two, beside the same
// campaign in Node on one thread, in the same run: schedules per second of
// rseq_counter 2 300 on 2 vCPUs (seed 1, no failure, so every schedule
// runs), blocks of four schedules as the workers take them, start-up and
// profiling not counted on either side. All must cover the same points
// (the same campaign).
//
//   npm run bench                                      # this, with the others (bench/index.ts)
//   node --import tsx bench/web-fuzz.ts [--repeats N]    # this one alone (default 3)

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createCpu } from '../emulator/index.js';
import { Campaign, driveCampaign, mergeCampaign, type CampaignWorker } from '../fuzz/campaign.js';
import { fuzzTargetOf } from '../web/scheduled-run.js';
import { root, serve } from '../test/web/serve-page.js';
import { BenchError, fmt, isMain, mainWithRepeats } from './common.js';

export const DEFAULT_WEB_FUZZ_REPEATS = 3;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PROGRAM = 'rseq_counter';
const ARGS = ['2', '300'];
const SCHEDULES = 1000;

export interface WebFuzzBenchResult {
  /** Both sides covered the same points in the same number of schedules. */
  ok: boolean;
  /** Best schedules/s of the repeats, on one Web Worker and on two. */
  pagePerSecond: number;
  page2PerSecond: number;
  nodePerSecond: number;
}

async function nodeRate(): Promise<{ perSecond: number; covered: number; schedules: number }> {
  const target = fuzzTargetOf(PROGRAM, new Uint8Array(readFileSync(join(root, 'build', 'programs', PROGRAM))), { args: ARGS, cpus: 2, kernel: 'current', debugRseq: false });
  const spec = { target, seed: 1, schedules: SCHEDULES };
  const c = await Campaign.create(spec, [await createCpu()]);
  const w: CampaignWorker = { runChunk: async (chunk) => c.runChunk(chunk), limit: () => {} };
  const t0 = performance.now();
  const drive = await driveCampaign(spec, c.header, [w], { chunkSize: 4 });
  const ms = performance.now() - t0;
  const r = mergeCampaign(spec, c.header, drive);
  return { perSecond: (r.schedules / ms) * 1000, covered: r.coverage.covered, schedules: r.schedules };
}

export async function webFuzzBench(options: { repeats?: number } = {}): Promise<WebFuzzBenchResult> {
  const repeats = options.repeats ?? DEFAULT_WEB_FUZZ_REPEATS;
  const site = join(root, 'build', 'web');
  if (!existsSync(join(site, 'fuzz-worker.js'))) throw new BenchError(`${site}/fuzz-worker.js is missing: run 'npm run build:web'`);
  if (!existsSync(CHROMIUM)) throw new BenchError(`Chromium is missing at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  const node: Awaited<ReturnType<typeof nodeRate>>[] = [];
  for (let i = 0; i < repeats; i++) node.push(await nodeRate());

  const { server, url } = await serve(site);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  type Rate = { perSecond: number; covered: number; schedules: number };
  const page: Rate[] = [];
  const page2: Rate[] = [];
  try {
    const p = await browser.newPage();
    await p.goto(url);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await p.selectOption('#program', PROGRAM);
    await p.fill('#args', ARGS.join(' '));
    await p.fill('#fuzz-seed', '1');
    await p.fill('#fuzz-schedules', String(SCHEDULES));
    // Alternately on one worker and two, so that a slower stretch of a shared machine hits both.
    for (let i = 0; i < 2 * repeats; i++) {
      const workers = i % 2 === 0 ? 1 : 2;
      await p.fill('#fuzz-workers', String(workers));
      await p.evaluate(() => { delete document.getElementById('fuzz-status')!.dataset.ms; });
      await p.click('#fuzz-start');
      await p.waitForFunction(() => document.getElementById('fuzz-status')!.dataset.ms !== undefined, undefined, { timeout: 600_000 });
      const d = await p.$eval('#fuzz-status', (e) => ({ ...(e as HTMLElement).dataset }));
      if (d.workers !== String(workers)) throw new BenchError(`the page ran on ${d.workers} workers, not ${workers}`);
      (workers === 1 ? page : page2).push({ perSecond: (Number(d.schedules) / Number(d.ms)) * 1000, covered: Number(d.covered), schedules: Number(d.schedules) });
    }
  } finally {
    await browser.close();
    server.kill();
  }
  const ok = [...node, ...page, ...page2].every((r) => r.covered === node[0].covered && r.schedules === SCHEDULES);
  const result = { ok, pagePerSecond: Math.max(...page.map((r) => r.perSecond)), page2PerSecond: Math.max(...page2.map((r) => r.perSecond)), nodePerSecond: Math.max(...node.map((r) => r.perSecond)) };
  console.log(`\nthe page's fuzzer on Web Workers (headless Chromium) beside Node on one thread: ${PROGRAM} ${ARGS.join(' ')}, ${SCHEDULES} schedules of seed 1, best of ${repeats}`);
  console.log(`  page, 1 worker:  ${fmt(result.pagePerSecond, 0)} schedules/s (${page.map((r) => fmt(r.perSecond, 0)).join(', ')})`);
  console.log(`  page, 2 workers: ${fmt(result.page2PerSecond, 0)} schedules/s (${page2.map((r) => fmt(r.perSecond, 0)).join(', ')}); ${fmt(result.page2PerSecond / result.pagePerSecond, 2)}x one worker`);
  console.log(`  Node:            ${fmt(result.nodePerSecond, 0)} schedules/s (${node.map((r) => fmt(r.perSecond, 0)).join(', ')}); the page runs ${fmt(result.pagePerSecond / result.nodePerSecond, 2)}x Node's rate`);
  if (!ok) console.log('  THE PAGE AND NODE DID NOT RUN THE SAME CAMPAIGN (schedules or coverage differ)');
  return result;
}

/** The summary line of bench/index.ts. */
export function webFuzzSummary(r: WebFuzzBenchResult): string {
  return `${fmt(r.pagePerSecond, 0)} schedules/s fuzzing ${PROGRAM} in the page on one Web Worker (${fmt(r.page2PerSecond, 0)}/s on two), ${fmt(r.nodePerSecond, 0)}/s in Node on one thread (${fmt(r.pagePerSecond / r.nodePerSecond, 2)}x)`;
}

if (isMain(import.meta.url)) await mainWithRepeats('web-fuzz', DEFAULT_WEB_FUZZ_REPEATS, webFuzzBench);

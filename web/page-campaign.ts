// The page's campaign on several fuzzing workers, as `rseqlab fuzz --jobs`
// runs one on worker threads (cli/fuzz-workers.ts): every worker prepares
// its own Campaign of the same spec, this side hands them blocks of
// schedules through fuzz/campaign.ts's driveCampaign, tells them when a
// failure is known, asks one to shrink and explain the smallest failing
// schedule, and merges the blocks. Schedule k depends only on (seed, k),
// so the result is the same on any number of workers, and the CLI's.
//
// Stop: before a failure is known, no block starts after it (those
// running finish: a block is a few schedules); while the failure is being
// shrunk, the shrink ends and the smallest failing schedule found by then
// is explained (FuzzFailure.shrinkStopped).

import {
  chunkCount, driveCampaign, failingSchedule, mergeCampaign,
  type CampaignHeader, type CampaignSpec, type CampaignWorker, type FuzzProgress, type FuzzResult,
} from '../fuzz/campaign.js';
import { replyOf, type FuzzWorkerLink } from './fuzz-link.js';
import { wallMs } from './wall-clock.js';

/** Schedules per block: small, so progress and Stop come often (the result does not depend on it). */
export const PAGE_CHUNK = 4;

export interface PageCampaignHooks {
  /** Every worker has profiled the program: the schedules begin. */
  started?(header: CampaignHeader, workers: number): void;
  progress?(p: FuzzProgress): void;
  /** Schedule k is the smallest that failed: shrinking it. */
  shrinking?(k: number): void;
}

export interface PageCampaignEnd {
  result: FuzzResult;
  /** Stop ended the schedules early (a failure's shrink stopped early says so in result.failure.shrinkStopped). */
  stopped: boolean;
  /** Wall time of the schedules (not the start-up and profiling, nor the shrink). */
  ms: number;
  /** Workers the schedules ran on. */
  workers: number;
}

let campaigns = 0;

export class PageCampaign {
  private stopAsked = false;
  /** The shrink under way: where to send a Stop. */
  private shrink?: { link: FuzzWorkerLink; job: number };

  constructor(private readonly spec: CampaignSpec, private readonly wasm: string, private readonly hooks: PageCampaignHooks = {}) {}

  /** How many of `available` workers a campaign can use (no more than it has blocks). */
  static workersFor(spec: CampaignSpec, available: number): number {
    return Math.max(1, Math.min(available, chunkCount(spec, PAGE_CHUNK)));
  }

  stop(): void {
    this.stopAsked = true;
    if (this.shrink) this.shrink.link.tell({ type: 'stop' }, this.shrink.job);
  }

  /** Runs the campaign on these workers (use PageCampaign.workersFor's count of them). */
  async run(links: readonly FuzzWorkerLink[]): Promise<PageCampaignEnd> {
    const campaign = ++campaigns;
    const spec = this.spec;
    try {
      const headers = await Promise.all(links.map((l) => replyOf(l.ask({ type: 'campaign', campaign, spec, wasm: this.wasm }).answer, 'ready')));
      const header = headers[0].header;
      this.hooks.started?.(header, links.length);
      const workers: CampaignWorker[] = links.map((link) => ({
        runChunk: async (chunk) => (await replyOf(link.ask({ type: 'chunk', campaign, chunk }).answer, 'chunk')).result,
        limit: (k) => link.tell({ type: 'limit', campaign, k }),
      }));
      const began = wallMs();
      // Stop is a time limit that has arrived: the campaign's own way to stop starting schedules.
      const now = () => (this.stopAsked ? Infinity : wallMs());
      const drive = await driveCampaign(spec, header, workers, {
        timeMs: Infinity,
        now,
        chunkSize: PAGE_CHUNK,
        onProgress: (p) => this.hooks.progress?.({ ...p, perSecond: this.stopAsked ? 0 : p.perSecond }),
      });
      const ms = wallMs() - began;
      const stopped = this.stopAsked;
      const k = failingSchedule(header, drive.chunks);
      if (k === undefined) return { result: mergeCampaign(spec, header, drive), stopped, ms, workers: links.length };
      this.hooks.shrinking?.(k);
      const { job, answer } = links[0].ask({ type: 'failure', campaign, k });
      this.shrink = { link: links[0], job };
      const { failure } = await replyOf(answer, 'failure');
      return { result: mergeCampaign(spec, header, drive, failure), stopped: false, ms, workers: links.length };
    } finally {
      this.shrink = undefined;
      for (const l of links) l.tell({ type: 'end', campaign });
    }
  }
}

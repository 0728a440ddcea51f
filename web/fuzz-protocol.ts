// The messages between the page and its fuzzing Web Worker
// (web/fuzz-worker.ts): plain data only (structured clone), as the CLI's
// worker threads exchange (cli/fuzz-worker.ts). The page keeps one worker
// for all its jobs (its compiled CPU gets faster as the engine optimises
// it), so every message names its job.

import type { CampaignSpec, FuzzProgress, FuzzResult } from '../fuzz/campaign.js';
import type { FuzzTarget } from '../fuzz/runner.js';

export type FuzzJobRequest =
  /** Run a campaign; the CPU is loaded from `wasm` (a URL). */
  | { type: 'fuzz'; spec: CampaignSpec; wasm: string }
  /** Stop starting schedules: the campaign ends as a time limit ends it (its result says how many ran). */
  | { type: 'stop' }
  /** Run one schedule as `rseqlab replay` does and explain it. */
  | { type: 'explain'; target: FuzzTarget; schedule: string; wasm: string };

export type ToFuzzWorker = { job: number } & FuzzJobRequest;

export type FromFuzzWorker = { job: number } & (
  /** The program is profiled and the campaign has begun. */
  | { type: 'started'; schedules: number; staticFindings: string[] }
  | { type: 'progress'; progress: FuzzProgress }
  /** Schedule k failed: shrinking it (a few hundred runs at most) before the result. */
  | { type: 'shrinking'; k: number }
  /** The campaign's result; `stopped` when Stop ended it; `ms` the wall time of the schedules (not start-up). */
  | { type: 'done'; result: FuzzResult; stopped: boolean; ms: number }
  /** What one schedule did (explain): its failure, if any, in lines, and its trace hash. */
  | { type: 'explained'; failure?: string; explanation: string[]; traceHash: string }
  | { type: 'error'; message: string }
);

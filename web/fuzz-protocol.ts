// The messages between the page and its fuzzing Web Workers
// (web/fuzz-worker.ts, web/fuzz-worker-core.ts): plain data only
// (structured clone), as the CLI's worker threads exchange
// (cli/fuzz-worker.ts). The page drives a campaign over several workers
// (web/page-campaign.ts): each holds its own Campaign of the same spec and
// runs the blocks of schedules it is sent. Every request names itself
// (`job`) and its answer carries the same number; requests about one
// campaign also name the campaign.

import type { CampaignHeader, CampaignSpec, ChunkResult, ChunkSpec, FuzzFailure } from '../fuzz/campaign.js';
import type { FuzzTarget } from '../fuzz/runner.js';

export type FuzzRequest =
  /** Prepare a campaign (profile the program); the CPUs are loaded from `wasm` (a URL). Answered 'ready'. */
  | { type: 'campaign'; campaign: number; spec: CampaignSpec; wasm: string }
  /** Run a block of the campaign's schedules. Answered 'chunk'. */
  | { type: 'chunk'; campaign: number; chunk: ChunkSpec }
  /** Schedule k failed: later schedules of the campaign need not run (no answer). */
  | { type: 'limit'; campaign: number; k: number }
  /** Shrink and explain failing schedule k. Answered 'failure'. */
  | { type: 'failure'; campaign: number; k: number }
  /** Stop the shrink of request `job` (a 'failure'): it ends with the smallest failing schedule found so far (no answer). */
  | { type: 'stop' }
  /** The campaign is over: drop it (no answer). */
  | { type: 'end'; campaign: number }
  /** Run one schedule as `rseqlab replay` does and explain it. Answered 'explained'. */
  | { type: 'explain'; target: FuzzTarget; schedule: string; wasm: string };

export type ToFuzzWorker = { job: number } & FuzzRequest;

export type FromFuzzWorker = { job: number } & (
  | { type: 'ready'; header: CampaignHeader }
  | { type: 'chunk'; result: ChunkResult }
  | { type: 'failure'; failure: FuzzFailure }
  /** What one schedule did (explain): its failure, if any, in lines, and its trace hash. */
  | { type: 'explained'; failure?: string; explanation: string[]; traceHash: string }
  | { type: 'error'; message: string }
);

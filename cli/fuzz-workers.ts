// Fuzzing on J worker threads (--jobs): each worker (cli/fuzz-worker.ts)
// holds its own CPUs and runners; this thread hands out blocks of
// schedules through fuzz/campaign.ts's driveCampaign, shares the smallest
// failing k found so far (a SharedArrayBuffer the workers read between
// schedules, so nobody runs far past it), asks one worker to shrink and
// explain the failure, and merges the blocks. The result is the one a
// single thread gives (fuzz/campaign.ts says why). Also: writing a
// failure's replay file, for the CLI and the Node API alike.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Cpu } from '../emulator/api.js';
import {
  chunkCount, driveCampaign, failingSchedule, fuzz, mergeCampaign,
  type CampaignHeader, type CampaignSpec, type CampaignWorker, type ChunkResult, type ChunkSpec, type FuzzFailure, type FuzzProgress, type FuzzResult,
} from '../fuzz/campaign.js';
import type { WorkerCommand, WorkerInit } from './fuzz-worker.js';

export interface ParallelOptions {
  /** Worker threads (default: os.availableParallelism()); 1 runs in this thread. */
  jobs?: number;
  timeMs?: number;
  now?: () => number;
  onProgress?: (p: FuzzProgress) => void;
  /** The CPU for a campaign in this thread (workers create their own). */
  loadCpu: () => Promise<Cpu>;
}

export function defaultJobs(): number {
  return availableParallelism();
}

/** How long a worker may take to load its CPU and run the program's start-up. */
const WORKER_START_MS = 120_000;

type Reply = { id: number; type: 'ready'; header: CampaignHeader }
  | { id: number; type: 'chunk'; result: ChunkResult }
  | { id: number; type: 'failure'; failure: FuzzFailure }
  | { id: number; type: 'error'; message: string; stack?: string };

/** The worker's script: the bundle's sibling, or the TypeScript source through tsx. */
function workerScript(): { url: URL; entry: string } {
  const here = import.meta.url;
  if (/\.ts$/.test(new URL(here).pathname)) return { url: new URL('./fuzz-worker-boot.mjs', here), entry: new URL('./fuzz-worker.ts', here).href };
  const url = new URL('./fuzz-worker.mjs', here);
  return { url, entry: url.href };
}

class ThreadWorker implements CampaignWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead?: Error;
  /** Date.now() after which no schedule starts, once the campaign is under way. */
  deadline: number | null = null;
  readonly ready: Promise<CampaignHeader>;

  constructor(init: WorkerInit, private readonly sharedLimit: Int32Array) {
    const { url, entry } = workerScript();
    this.worker = new Worker(url, { workerData: { ...init, entry } });
    const started = new Promise<Reply>((resolve, reject) => this.pending.set(0, { resolve, reject }));
    // A worker that never answers (it hung instantiating its CPU) must not hang the campaign.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void this.worker.terminate();
        reject(new Error(`fuzz worker did not start within ${WORKER_START_MS / 1000} s; try --jobs 1`));
      }, WORKER_START_MS);
      timer.unref?.();
    });
    this.ready = Promise.race([started, timeout]).then((r) => (r as Extract<Reply, { type: 'ready' }>).header).finally(() => clearTimeout(timer));
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'error') p.reject(Object.assign(new Error(`fuzz worker: ${m.message}`), { stack: m.stack }));
      else p.resolve(m);
    });
    const die = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => die(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => die(new Error(`fuzz worker exited (status ${code})`)));
  }

  private request(m: WorkerCommand): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
  }

  async runChunk(chunk: ChunkSpec): Promise<ChunkResult> {
    return ((await this.request({ type: 'chunk', chunk, deadline: this.deadline })) as Extract<Reply, { type: 'chunk' }>).result;
  }

  limit(k: number): void {
    for (;;) {
      const old = Atomics.load(this.sharedLimit, 0);
      if (k >= old || Atomics.compareExchange(this.sharedLimit, 0, old, k) === old) return;
    }
  }

  async failureAt(k: number): Promise<FuzzFailure> {
    return ((await this.request({ type: 'failure', k })) as Extract<Reply, { type: 'failure' }>).failure;
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Runs a campaign on `jobs` worker threads (in this thread for one job, or when it has a single block). */
export async function fuzzInWorkers(spec: CampaignSpec, o: ParallelOptions): Promise<FuzzResult> {
  const jobs = Math.max(1, Math.min(o.jobs ?? defaultJobs(), chunkCount(spec)));
  const kernels = spec.kernels ?? [spec.target.kernel];
  if (jobs === 1) return fuzz({ ...spec, kernels, cpu: await o.loadCpu(), newCpu: o.loadCpu, timeMs: o.timeMs, now: o.now, onProgress: o.onProgress });
  const limit = new Int32Array(new SharedArrayBuffer(4));
  limit[0] = 0x7fffffff;
  const init: WorkerInit = { spec: { ...spec, kernels }, limit: limit.buffer as SharedArrayBuffer };
  const workers = Array.from({ length: jobs }, () => new ThreadWorker(init, limit));
  try {
    const [header] = await Promise.all(workers.map((w) => w.ready));
    // The time limit counts from here, as in one thread (after the start-up and profiling runs).
    if (o.timeMs !== undefined) for (const w of workers) w.deadline = Date.now() + o.timeMs;
    const drive = await driveCampaign(spec, header, workers, { timeMs: o.timeMs, now: o.now, onProgress: o.onProgress });
    const k = failingSchedule(header, drive.chunks);
    return mergeCampaign(spec, header, drive, k !== undefined ? await workers[0].failureAt(k) : undefined);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Writes a fuzz failure's replay file into `dir` as
 * <program>.seed<S>.k<K>[.kernel<V>].replay.json; `hostPath` is where the
 * program file is.
 */
export function writeReplayFile(dir: string, result: FuzzResult, hostPath: string | undefined): string | undefined {
  const f = result.failure;
  if (!f) return undefined;
  return saveReplay(dir, `${basename(result.program.path)}.seed${result.seed}.k${f.k}${f.kernel && result.kernels.length > 1 ? `.kernel${f.kernel}` : ''}`, f, hostPath);
}

/**
 * Writes a failure's replay file as `dir`/`name`.replay.json, with the
 * program's host path made absolute (so it replays from anywhere; the
 * guest's argv[0] is kept apart), and records it in failure.replayPath.
 */
export function saveReplay(dir: string, name: string, f: FuzzFailure, hostPath: string | undefined): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.replay.json`);
  writeFileSync(file, JSON.stringify({ ...f.replay, program: { ...f.replay.program, path: resolve(hostPath ?? f.replay.program.path) } }, null, 2) + '\n');
  f.replayPath = file;
  return file;
}

// Campaigns split over workers and shards (fuzz/campaign.ts): the blocks of
// schedules may run on any number of Campaigns, in any order, and the merge
// gives what one Campaign gives: the failure with the smallest k, its shrink
// and explanation, the schedules up to it, the same coverage. And the kernel
// differential: every schedule under several kernel profiles, a schedule on
// which they disagree reported as such.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import {
  Campaign, driveCampaign, failingSchedule, fuzz, mergeCampaign, mergeShards,
  type CampaignSpec, type CampaignWorker, type FuzzResult,
} from '../../fuzz/campaign.js';
import { fuzzTarget } from '../programs/rseq-machine.js';

function spec(name: string, args: string[], o: Partial<CampaignSpec> = {}): CampaignSpec {
  return { target: fuzzTarget(name, args), seed: 1, ...o };
}

/** A campaign on `n` Campaigns in this thread, blocks handed out in turn (as threads would take them). */
async function onWorkers(s: CampaignSpec, n: number, chunkSize = 16): Promise<FuzzResult> {
  const cpus = async () => Promise.all((s.kernels ?? ['current']).map(() => createCpu()));
  const campaigns = await Promise.all(Array.from({ length: n }, async () => Campaign.create(s, await cpus())));
  let limit = Infinity;
  // Every worker answers after a different delay, so blocks finish out of order.
  const workers: CampaignWorker[] = campaigns.map((c, i) => ({
    runChunk: async (chunk) => {
      await new Promise((r) => setTimeout(r, (n - i) * 3));
      return c.runChunk(chunk, (k) => k > limit);
    },
    limit: (k) => void (limit = Math.min(limit, k)),
  }));
  const header = campaigns[0].header;
  const drive = await driveCampaign(s, header, workers, { chunkSize });
  const k = failingSchedule(header, drive.chunks);
  return mergeCampaign(s, header, drive, k !== undefined ? campaigns[n - 1].failureAt(k) : undefined);
}

describe('a campaign on several workers', () => {
  it('a buggy program: one, two and three workers (and other block sizes) give the same failure, explanation, schedules and coverage', async () => {
    const s = spec('rseq_bug_no_cpu_check', ['4', '500']);
    const one = await fuzz({ ...s, cpu: await createCpu() });
    expect(one.failure).toBeDefined();
    expect(one.stoppedBy).toBe('failure');
    // Schedules: every k up to and including the failing one.
    expect(one.schedules).toBe(one.failure!.k + 1);
    // Blocks smaller than k, so the failing one is not the first (k depends on the program's path, in its argv).
    const k = one.failure!.k;
    expect(k).toBeGreaterThan(2);
    for (const [n, size] of [[2, 16], [3, Math.max(2, Math.floor(k / 3))], [2, 1]] as const) {
      const many = await onWorkers(s, n, size);
      expect(many, `${n} workers, blocks of ${size}`).toEqual(one);
    }
  });

  it('a correct program: the same coverage and count whatever the workers; shards merged give the whole campaign', async () => {
    const s = spec('rseq_counter', ['2', '50'], { schedules: 120 });
    const one = await fuzz({ ...s, cpu: await createCpu() });
    expect(one.failure).toBeUndefined();
    expect(one.schedules).toBe(120);
    expect(one.stoppedBy).toBe('schedules');
    expect(await onWorkers(s, 2)).toEqual(one);
    const shards = await Promise.all([0, 1, 2].map(async (index) => fuzz({ ...s, shard: { index, count: 3 }, cpu: await createCpu() })));
    expect(shards.map((r) => r.schedules)).toEqual([40, 40, 40]);
    expect(shards[1].shard).toEqual({ index: 1, count: 3 });
    expect(mergeShards([shards[2], shards[0], shards[1]])).toEqual(one);
    expect(() => mergeShards([shards[0], shards[1]])).toThrow(/need each of the 3 shards once/);
    expect(() => mergeShards([shards[0], shards[0], shards[1]])).toThrow(/need each of the 3 shards once/);
    expect(() => mergeShards([one, { ...one, seed: 2 }])).toThrow(/not of one campaign/);
  });

  it('shards of a buggy program merged report the failure with the smallest k, as the whole campaign does', async () => {
    const s = spec('rseq_bug_two_stores', []);
    const one = await fuzz({ ...s, cpu: await createCpu() });
    const k = one.failure!.k;
    const shards = await Promise.all([0, 1].map(async (index) => fuzz({ ...s, shard: { index, count: 2 }, cpu: await createCpu() })));
    expect(shards[k % 2].failure).toEqual(one.failure);
    const merged = mergeShards(shards);
    expect(merged.failure).toEqual(one.failure);
    expect(merged.schedules).toBe(one.schedules);
  });
});

describe('the kernel differential', () => {
  it('rseq_cpu_id_start under 6.19 and 7.0: the profiles disagree (the sentinel survives on 6.19), reported with both verdicts', async () => {
    const s = spec('rseq_cpu_id_start', [], { kernels: ['6.19', '7.0'], schedules: 50 });
    const r = await fuzz({ ...s, cpu: await createCpu(), newCpu: () => createCpu() });
    expect(r.kernels).toEqual(['6.19', '7.0']);
    const f = r.failure!;
    expect(f.difference).toBeDefined();
    expect(f.kernel).toBe('6.19');
    expect(f.replay.kernel).toBe('6.19');
    expect(f.verdicts!.map((v) => v.kernel)).toEqual(['6.19', '7.0']);
    const [old, now] = f.verdicts!;
    expect(old.ending).toMatch(/^exited with status 1: rseq_cpu_id_start: the sentinel 0x80000000 in cpu_id_start survived a context switch/);
    expect(now.ending).toBe('exited with status 0');
    // Writing cpu_id_start is an ABI finding on both; what differs is what the program saw.
    expect(old.findings).toEqual(['read-only-field-written']);
    expect(now.findings).toEqual(['read-only-field-written']);
    expect(f.difference).toContain('6.19: fails: exited with status 1');
    expect(f.difference).toContain('7.0: fails: exited with status 0');
    expect(f.explanation).toContain('the kernel profiles disagree on this schedule');
    expect(f.explanation.at(-1)).toBe(`result: ${f.summary}`);
  });

  it('rseq_cpu_id_start under 7.0 and 6.3: both rewrite cpu_id_start, so no difference (only the ABI finding both share)', async () => {
    const r = await fuzz({ ...spec('rseq_cpu_id_start', [], { kernels: ['7.0', '6.3'], schedules: 20 }), cpu: await createCpu(), newCpu: () => createCpu() });
    expect(r.failure?.kind).toBe('checker');
    expect(r.failure?.difference).toBeUndefined();
    expect(r.failure?.verdicts?.map((v) => v.ending)).toEqual(['exited with status 0', 'exited with status 0']);
  });

  it('a correct program agrees under every profile over many schedules; the differential is the same on several workers', async () => {
    const s = spec('rseq_counter', ['2', '50'], { kernels: ['6.3', '6.19', '7.0'], schedules: 60 });
    const r = await fuzz({ ...s, cpu: await createCpu(), newCpu: () => createCpu() });
    expect(r.failure).toBeUndefined();
    expect(r.schedules).toBe(60);
    expect(r.kernels).toEqual(['6.3', '6.19', '7.0']);
    expect(r.coverage.covered).toBeGreaterThan(0);
    expect(await onWorkers(s, 2, 7)).toEqual(r);
  });

  it('a buggy program fails alike under two profiles: a failure, no difference; the shrunk schedule keeps both verdicts', async () => {
    const r = await fuzz({ ...spec('rseq_bug_commit_not_last', [], { kernels: ['6.19', '7.0'] }), cpu: await createCpu(), newCpu: () => createCpu() });
    const f = r.failure!;
    expect(f.difference).toBeUndefined();
    expect(f.events).toBe(1);
    expect(f.verdicts!.every((v) => v.failure?.class === 'exit:1')).toBe(true);
  });

  it('several profiles need a CPU each', async () => {
    await expect(fuzz({ ...spec('rseq_counter', ['2', '10'], { kernels: ['6.19', '7.0'] }), cpu: await createCpu() })).rejects.toThrow(/newCpu/);
  });
});

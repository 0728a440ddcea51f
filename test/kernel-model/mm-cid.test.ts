// mm_cid (rseq-abi.md section 3): among the threads of one process that run
// at the same moment the IDs are unique, and every one is below
// min(threads of the process, vCPUs it may use). The model's policy
// (address-space.ts): lowest free ID at switch-in, released at switch-out.
// Checked after every quantum a vCPU runs of multi-threaded
// programs, with chaos shaking the schedule, on several vCPU counts; and
// rseq_mmcid_pool itself checks that no two running threads share a slot.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import { programPath } from '../programs/native.js';
import { readFileSync } from 'node:fs';

function bitCount(mask: bigint): number {
  let n = 0;
  for (let m = mask; m !== 0n; m &= m - 1n) n++;
  return n;
}

async function checkInvariants(name: string, args: string[], cpus: number, seed: number) {
  const path = programPath(name);
  const m = Machine.create({ cpu: await createCpu(), program: new Uint8Array(readFileSync(path)), path, argv: [path, ...args], seed, cpus });
  m.setChaos({ perThousand: 2, events: ['preempt', 'migrate'] });
  let checks = 0;
  const problems: string[] = [];
  m.onEvent((e) => {
    if (e.kind !== 'run') return;
    const byGroup = new Map<number, number[]>();
    for (const v of m.kernel.vcpus) {
      const t = v.current;
      if (!t || !t.alive) continue;
      const ids = byGroup.get(t.group.tgid) ?? [];
      ids.push(t.mmCid);
      byGroup.set(t.group.tgid, ids);
      const limit = Math.min(t.group.tasks.filter((x) => x.alive).length, bitCount(t.allowed & ((1n << BigInt(cpus)) - 1n)) || cpus);
      if (t.mmCid < 0 || t.mmCid >= Math.max(limit, 1)) problems.push(`tid ${t.tid} mm_cid ${t.mmCid} not below ${limit}`);
    }
    for (const [tgid, ids] of byGroup) if (new Set(ids).size !== ids.length) problems.push(`process ${tgid}: running mm_cids ${ids.join(',')} repeat`);
    checks++;
  });
  const r = m.run({ maxInstructions: 2e8 });
  return { r, checks, problems };
}

describe('mm_cid invariants', () => {
  for (const cpus of [2, 4, 8]) {
    it(`unique among running threads and below min(threads, CPUs): rseq_mmcid_pool and thread_mutex 8 on ${cpus} vCPUs`, async () => {
      for (const [name, args] of [['rseq_mmcid_pool', []], ['thread_mutex', ['8']]] as const) {
        const { r, checks, problems } = await checkInvariants(name, [...args], cpus, cpus * 7);
        expect(r.exitCode, name).toBe(0);
        expect(checks, name).toBeGreaterThan(20);
        expect(problems.slice(0, 5), name).toEqual([]);
      }
    });
  }
});

// The fuzzer on every correct rseq program that has a critical section:
// no failure in 2000 schedules each (seed 1, the default mixed strategy,
// every event kind the program allows), and every (section, instruction,
// event) point covered. Each program is a test of its own so the file's
// share of CI time shows per program; small arguments keep a run short.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz } from '../../fuzz/campaign.js';
import { fuzzTarget } from '../programs/rseq-machine.js';

const SCHEDULES = 2000;

const CORRECT: [string, string[]][] = [
  ['rseq_counter', ['2', '100']],
  ['rseq_list', ['2', '20', '2']],
  ['rseq_ring', ['2', '40']],
  ['rseq_spinlock', ['2', '200']],
  ['rseq_mmcid_pool', ['2', '100']],
  ['rseq_signal', ['5']],
  ['rseq_membarrier', ['2']],
  ['rseq_slice', ['20']],
];

describe('fuzzing the correct programs', () => {
  for (const [name, args] of CORRECT) {
    it(`${name} ${args.join(' ')} survives ${SCHEDULES} schedules, covering every (instruction, event) point of its sections`, async () => {
      const r = await fuzz({ target: fuzzTarget(name, args), cpu: await createCpu(), seed: 1, schedules: SCHEDULES });
      expect(r.failure?.explanation).toBeUndefined();
      expect(r.schedules).toBe(SCHEDULES);
      expect(r.coverage.coverable).toBeGreaterThan(0);
      expect(r.coverage.covered).toBe(r.coverage.coverable);
    }, 600_000);
  }
});

// Differential tests of the MMX rows (test kind 'mmx') of the opcode table
// against the host CPU: general and xmm registers, MXCSR and memory as for
// every row, and through an fnsave image the x87 side of each instruction
// (TOP, tag word, the registers' 80 bits; test/differential/mmx-state.ts).

import { beforeAll, describe, expect, it } from 'vitest';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { defaultOptions, generateCases, rowName, testKind } from './generate.js';
import { assertRow, expectNonCanonicalGp, prepareSuite, runCases, type RowResult } from './suite.js';

const suite = prepareSuite((row) => testKind(row) === 'mmx');
let results: Map<number, RowResult>;

beforeAll(async () => {
  console.log(`differential (mmx): ${suite.generated.cases.length} cases over ${suite.rows.length} rows`);
  results = await suite.run();
}, 300_000);

describe('MMX instructions agree with the host CPU', () => {
  it('the table rows of kind mmx all have cases', () => {
    const mmxRows = OPCODE_TABLE.map((r, i) => (testKind(r) === 'mmx' ? i : -1)).filter((i) => i >= 0);
    expect(mmxRows.length).toBeGreaterThan(0);
    expect(suite.rows).toEqual(mmxRows);
  });
  for (const index of suite.rows) {
    it(rowName(OPCODE_TABLE[index], index), () => assertRow(index, results.get(index)));
  }
});

describe('MMX faults', () => {
  it('a non-canonical memory operand raises #GP, not a page fault', async () => {
    await expectNonCanonicalGp((row) => testKind(row) === 'mmx');
  }, 120_000);
});

describe('cvtpi2ps / cvtpi2pd with an m64 source', () => {
  // Only the mm-register forms are MMX instructions (Vol. 2, CVTPI2PS/CVTPI2PD): from memory they
  // neither take a pending x87 exception nor change TOP or the tags. More cases of exactly that:
  // the rows' memory forms after the x87 prologue or with an exception pending.
  it('leave the x87 state alone, as on the host', async () => {
    const opts = { ...defaultOptions(), casesPerRow: defaultOptions().casesPerRow * 10 };
    const cases = generateCases(OPCODE_TABLE, opts, (row) => row.handler === 'Cvtpi2psVpsQq' || row.handler === 'Cvtpi2pdVpdQq')
      .cases.filter((c) => c.form.startsWith('mem') && /x87 prologue|pending/.test(c.note ?? ''));
    expect(cases.length).toBeGreaterThan(100);
    const results = await runCases(cases);
    const failures = [...results].filter(([, r]) => r.failed > 0);
    if (failures.length) {
      throw new Error(failures.map(([i, r]) => `${rowName(OPCODE_TABLE[i], i)}: ${r.failed} of ${r.cases} differ\n${r.reports[0]}`).join('\n\n'));
    }
  }, 120_000);
});

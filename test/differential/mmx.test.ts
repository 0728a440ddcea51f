// Differential tests of the MMX rows (test kind 'mmx') of the opcode table
// against the host CPU: general and xmm registers, MXCSR and memory as for
// every row, and through an fnsave image the x87 side of each instruction
// (TOP, tag word, the registers' 80 bits; test/differential/mmx-state.ts).

import { beforeAll, describe, expect, it } from 'vitest';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { rowName, testKind } from './generate.js';
import { assertRow, prepareSuite, type RowResult } from './suite.js';

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

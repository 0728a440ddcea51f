// Differential tests of the SSE rows (test kind 'sse') of the opcode table
// against the host CPU; xmm registers and MXCSR are compared in full.

import { beforeAll, describe, expect, it } from 'vitest';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { rowName, testKind } from './generate.js';
import { assertRow, prepareSuite, type RowResult } from './suite.js';

const suite = prepareSuite((row) => testKind(row) === 'sse');
let results: Map<number, RowResult>;

beforeAll(async () => {
  console.log(`differential (sse): ${suite.generated.cases.length} cases over ${suite.rows.length} rows`);
  results = await suite.run();
}, 300_000);

describe('SSE instructions agree with the host CPU', () => {
  it('the table rows of kind sse all have cases', () => {
    const sseRows = OPCODE_TABLE.map((r, i) => (testKind(r) === 'sse' ? i : -1)).filter((i) => i >= 0);
    expect(suite.rows).toEqual(sseRows);
  });
  it('the pcmpXstrX cases try every imm8 mode (format, aggregation, polarity, output selection) on each row', () => {
    for (const name of ['pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm']) {
      const modes = new Set(suite.generated.cases.filter((c) => OPCODE_TABLE[c.row].mnemonic === name)
        .map((c) => c.code[c.insnOffset + c.insnLength - 1] & 0x7f));
      expect(modes.size, name).toBe(128);
    }
  });
  for (const index of suite.rows) {
    it(rowName(OPCODE_TABLE[index], index), () => assertRow(index, results.get(index)));
  }
});

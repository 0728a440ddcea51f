// Differential tests of the integer rows of the opcode table against the
// host CPU: one test per row, cases generated from the table (generate.ts),
// run natively (runner.c) and in the emulator (harness.ts).
//
//   npx vitest run test/differential
//   RSEQLAB_DIFF_CASES=500 RSEQLAB_DIFF_SEED=7 npx vitest run test/differential

import { beforeAll, describe, expect, it } from 'vitest';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { DIFF_KINDS, defaultOptions, flagConsumerCases, generateCases, rowName, testKind } from './generate.js';
import { assertRow, expectNonCanonicalGp, prepareSuite, runCases, skippedSummary, type RowResult } from './suite.js';

// sse and mmx rows have their own files (sse.test.ts, mmx.test.ts).
const suite = prepareSuite((row) => testKind(row) !== 'sse' && testKind(row) !== 'mmx');
let results: Map<number, RowResult>;

beforeAll(async () => {
  console.log(`differential (integer): ${suite.generated.cases.length} cases over ${suite.rows.length} rows; ${skippedSummary(suite.generated)}`);
  for (const [kind, rows] of suite.generated.skipped) console.log(`  skipped (${kind}): ${rows.join(', ')}`);
  results = await suite.run();
}, 300_000);

describe('integer instructions agree with the host CPU', () => {
  for (const index of suite.rows) {
    it(rowName(OPCODE_TABLE[index], index), () => assertRow(index, results.get(index)));
  }
});

describe('flags read by the next instruction (setcc / jcc after each flag-writing row)', () => {
  const cases = flagConsumerCases(OPCODE_TABLE, defaultOptions(), (row) => testKind(row) !== 'sse');
  const rows = [...new Set(cases.map((c) => c.row))].sort((a, b) => a - b);
  let consumer: Map<number, RowResult>;
  beforeAll(async () => {
    console.log(`flag consumers: ${cases.length} cases over ${rows.length} rows`);
    consumer = await runCases(cases);
  }, 300_000);
  for (const index of rows) {
    it(`${rowName(OPCODE_TABLE[index], index)} then setcc/jcc`, () => assertRow(index, consumer.get(index)));
  }
});

describe('coverage of the opcode table', () => {
  it('every row of a testable kind gets cases', () => {
    const all = generateCases(OPCODE_TABLE, { ...defaultOptions(), casesPerRow: 1 });
    const covered = new Set(all.cases.map((c) => c.row));
    const missing = OPCODE_TABLE.map((row, i) => ({ row, i }))
      .filter(({ row, i }) => DIFF_KINDS.includes(testKind(row)) && !covered.has(i))
      .map(({ row, i }) => rowName(row, i));
    expect(missing, 'rows with no differential case').toEqual([]);
    const skippedKinds = [...all.skipped.keys()].filter((k) => k !== 'none' && k !== 'x87');
    expect(skippedKinds, 'test kinds the generator does not know').toEqual([]);
  });
});

describe('faults', () => {
  it('a non-canonical memory address raises #GP, not a page fault', async () => {
    const handlers = new Set(['MovEvGv', 'MovGvEv', 'AluEvGv', 'AluGvEv', 'IncDecEv', 'PushEv', 'PopEv', 'MovEvIz']);
    await expectNonCanonicalGp((row) => handlers.has(row.handler));
  });
});

// Shared driver of the differential test files: generate cases for a set of
// rows, run them on the host (batched) and in the emulator, and keep per-row
// results for one vitest `it` per row.

import { OPCODE_TABLE, type OpcodeRow } from '../../emulator/table/index.js';
import { defaultOptions, generateCases, nonCanonicalCases, rowName, type Generated } from './generate.js';
import { EmulatorRunner, formatMismatch, hostStop, runAndCompare } from './harness.js';
import type { DiffCase } from './layout.js';
import { runNative } from './native.js';

export interface RowResult {
  cases: number;
  failed: number;
  /** Readable reports of the first few failing cases. */
  reports: string[];
}

const REPORTS_PER_ROW = 3;

export interface Suite {
  generated: Generated;
  /** Rows with cases, by table index. */
  rows: number[];
  run(): Promise<Map<number, RowResult>>;
}

export function prepareSuite(filter: (row: OpcodeRow) => boolean): Suite {
  const generated = generateCases(OPCODE_TABLE, defaultOptions(), filter);
  const rows = [...new Set(generated.cases.map((c) => c.row))].sort((a, b) => a - b);
  return {
    generated,
    rows,
    run: () => runCases(generated.cases),
  };
}

export async function runCases(cases: readonly DiffCase[]): Promise<Map<number, RowResult>> {
  const results = new Map<number, RowResult>();
  if (cases.length === 0) return results;
  const [host, emu] = await Promise.all([runNative(cases), EmulatorRunner.create()]);
  const stops = new Map<string, number>();
  for (const h of host) stops.set(hostStop(h), (stops.get(hostStop(h)) ?? 0) + 1);
  console.log(`  host outcomes: ${[...stops].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const row = OPCODE_TABLE[c.row];
    const r = results.get(c.row) ?? { cases: 0, failed: 0, reports: [] };
    results.set(c.row, r);
    r.cases++;
    const ms = runAndCompare(emu, c, host[i]);
    if (ms.length) {
      r.failed++;
      if (r.reports.length < REPORTS_PER_ROW) r.reports.push(formatMismatch(row, c, ms));
    }
  }
  return results;
}

/** The assertion of one row's `it`. */
export function assertRow(index: number, r: RowResult | undefined): void {
  const name = rowName(OPCODE_TABLE[index], index);
  if (!r || r.cases === 0) throw new Error(`${name}: no differential case ran`);
  if (r.failed > 0) {
    throw new Error(`${name}: ${r.failed} of ${r.cases} cases differ from the host CPU\n\n${r.reports.join('\n\n')}`);
  }
}

/** One line per skipped test kind, for the test log. */
export function skippedSummary(g: Generated): string {
  const parts = [...g.skipped].map(([k, rows]) => `${k}: ${rows.length}`);
  return parts.length ? `rows skipped by test kind: ${parts.join(', ')}` : 'no rows skipped';
}

/** The picked rows with a non-canonical memory address: each must raise #GP as on the host (not a page fault). */
export async function expectNonCanonicalGp(pick: (row: OpcodeRow) => boolean): Promise<void> {
  const cases = nonCanonicalCases(OPCODE_TABLE, defaultOptions().seed, pick);
  if (cases.length === 0) throw new Error('no row picked for the non-canonical cases');
  const results = await runCases(cases);
  const failures = [...results].filter(([, r]) => r.failed > 0);
  if (failures.length) {
    const text = failures.map(([i, r]) => `${rowName(OPCODE_TABLE[i], i)}: ${r.failed} of ${r.cases} differ\n${r.reports[0]}`).join('\n\n');
    throw new Error(`non-canonical addresses:\n\n${text}`);
  }
}

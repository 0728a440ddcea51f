// Our decoder against iced-x86: (a) many random encodings of every row of
// the opcode table, (b) the whole .text of every program in build/programs.
// Length, implemented-or-not, mnemonic family, register operands, memory
// operand, immediate and operand size must agree.
//
//   npx vitest run test/decoder

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { TableContext, rowName } from '../differential/generate.js';
import { Rng, hashString } from '../differential/rng.js';
import { DecodeStats, compareEncodings, walkLinear } from './compare.js';
import { isExecutable, sections } from './elf.js';
import { randomEncoding } from './random-encodings.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const programsDir = join(root, 'build', 'programs');
const ENCODINGS_PER_ROW = Number(process.env.RSEQLAB_DECODER_CASES ?? '') || 200;

function programFiles(): string[] {
  if (!existsSync(programsDir)) return [];
  return readdirSync(programsDir)
    .map((f) => join(programsDir, f))
    .filter((p) => statSync(p).isFile() && readFileSync(p).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])))
    .sort();
}

/** Why the built CPU cannot be compared with the table in the source tree, if it cannot. */
function staleBuild(): string | undefined {
  const wasm = join(root, 'build', 'emulator.wasm');
  if (!existsSync(wasm)) return 'build/emulator.wasm is missing: run npm run build:wasm';
  const tableDir = join(root, 'emulator', 'table');
  const newest = readdirSync(tableDir).map((f) => statSync(join(tableDir, f)).mtimeMs).reduce((a, b) => Math.max(a, b), 0);
  if (statSync(wasm).mtimeMs < newest) {
    return 'build/emulator.wasm is older than emulator/table: run npm run build:wasm (row numbers would not match the table)';
  }
  return undefined;
}
const stale = staleBuild();

describe('the CPU build', () => {
  it('build/emulator.wasm is newer than the opcode table', () => {
    expect(stale).toBeUndefined();
  });
});

describe('decoder agrees with iced-x86 on random encodings of every table row', () => {
  const ctx = new TableContext(OPCODE_TABLE);
  const seed = Number(process.env.RSEQLAB_DIFF_SEED ?? '') || 1;
  let totals = 0;
  for (let index = 0; index < OPCODE_TABLE.length; index++) {
    const row = OPCODE_TABLE[index];
    it(rowName(row, index), async () => {
      if (stale) throw new Error(stale);
      const rng = new Rng(hashString(`decoder|${index}|${row.mnemonic}|${row.map}|${row.op}|${row.reg}|${row.prefix}`, seed));
      const encodings = Array.from({ length: ENCODINGS_PER_ROW }, () => randomEncoding(ctx, row, rng));
      const stats = new DecodeStats();
      compareEncodings(await cpuOnce(), encodings, 0x40_0000, stats, index);
      totals += stats.compared;
      // Our own row must come back: a generated encoding decoding as another row is a table clash.
      const msg = stats.report(`${rowName(row, index)}: ${stats.compared} compared, ${stats.icedInvalid} rejected by iced`);
      if (msg) throw new Error(msg);
      expect(stats.compared).toBeGreaterThan(0);
    });
  }
  it('(totals)', () => {
    console.log(`decoder vs iced: ${totals} random encodings compared over ${OPCODE_TABLE.length} rows`);
  });
});

let cpuPromise: ReturnType<typeof createCpu> | undefined;
function cpuOnce() {
  cpuPromise ??= createCpu();
  return cpuPromise;
}

describe('decoder agrees with iced-x86 over the .text of every program', () => {
  let programs: string[] = [];
  beforeAll(() => {
    programs = programFiles();
    if (programs.length === 0) {
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-programs.mjs')], { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`could not build the guest programs:\n${r.stdout}\n${r.stderr}`);
      programs = programFiles();
    }
  }, 300_000);

  it('there are programs to check', () => {
    expect(programs.length, `ELF files in ${programsDir}`).toBeGreaterThan(0);
  });

  // One test per program present when the file is collected (built beforehand by npm run build:programs).
  const names = programFiles().map((p) => p.slice(programsDir.length + 1));
  for (const name of names.length ? names : ['(programs built in beforeAll)']) {
    it(`.text of ${name}`, async () => {
      if (stale) throw new Error(stale);
      const files = names.length ? [join(programsDir, name)] : programs;
      const stats = new DecodeStats();
      let bytes = 0;
      for (const file of files) {
        const elf = new Uint8Array(readFileSync(file));
        for (const s of sections(elf)) {
          if (s.name !== '.text' || !isExecutable(s)) continue;
          const cpu = await createCpu();
          walkLinear(cpu, elf.subarray(s.offset, s.offset + s.size), s.addr, stats);
          bytes += s.size;
        }
      }
      console.log(`decoder vs iced, ${name}: ${stats.compared} instructions compared in ${bytes} bytes of .text; ` +
        `${stats.icedInvalid} bytes iced rejects; ${[...stats.unimplemented.values()].reduce((n, v) => n + v.count, 0)} not implemented; ${stats.mismatchCount} differ; ` +
        `${stats.notAdvertisedCount} instructions of extensions cpuid does not advertise, rejected as #UD (${stats.notAdvertised.size} mnemonics, lengths compared)`);
      expect(bytes, '.text found').toBeGreaterThan(0);
      const msg = stats.report(`${name}: ${stats.compared} instructions compared`);
      if (msg) throw new Error(msg);
    }, 300_000);
  }
});

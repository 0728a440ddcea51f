// The page's machine and code views as data (web/registers.ts,
// web/percpu-data.ts, web/code-view.ts through Session), checked against
// the machine itself and against what the programs print.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Reg } from '../../emulator/api.js';
import { createCpu } from '../../emulator/index.js';
import { parseElf } from '../../kernel-model/elf.js';
import { SymbolTable } from '../../kernel-model/elf-symbols.js';
import type { CodeLine, Decode } from '../../web/code-view.js';
import { instructions, type CapstoneModule } from '../../web/first-instruction.js';
import { PERCPU_DATA, readPerCpuData, type PerCpuDataView } from '../../web/percpu-data.js';
import { decodeRflags, readRegisters, REGISTER_NAMES } from '../../web/registers.js';
import { Session, sectionRole } from '../../web/session.js';
import { root } from './browser.js';

/** rseq-abi.h RSEQ_SIG: the selftests' x86 signature. */
const RSEQ_SIG = 0x53053053;

let decode: Decode;
beforeAll(async () => {
  const cs = await (createRequire(import.meta.url)('@alexaltea/capstone-js') as () => Promise<CapstoneModule>)();
  decode = (bytes, address, max) => instructions(cs, bytes, address, max);
});

const programBytes = async (name: string) => new Uint8Array(await readFile(join(root, 'build', 'programs', name)));

async function session(name: string, args: string, cpus = 2, seed = 1): Promise<Session> {
  return Session.create(await createCpu(), { name, program: await programBytes(name), args, seed, cpus });
}

/** The value of one per-CPU field, as shown. */
function cell(data: PerCpuDataView, label: string, field: string) {
  if (!data.described) throw new Error(data.reason);
  return data.arrays.flatMap((a) => a.rows).find((r) => r.label === label)?.values.find((v) => v.field === field);
}

describe('registers', () => {
  it('decodes rflags into the flags that are set', () => {
    expect(decodeRflags(0x246n)).toBe('PF ZF IF');
    expect(decodeRflags(0x202n)).toBe('IF');
    expect(decodeRflags(0xcd5n)).toBe('CF PF AF ZF SF DF OF');
  });

  it('shows each thread its own register file, and marks exactly what the last action changed', async () => {
    const s = await session('rseq_counter', '2 300');
    const tid = s.runToSection()!;
    const task = () => s.machine.kernel.tasks.get(tid)!;
    const before = readRegisters(task().ctx);
    s.stepThread(tid);
    const shown = s.view().threads.find((t) => t.tid === tid)!.registers;
    expect(shown.map((r) => r.name)).toEqual(REGISTER_NAMES);
    const ctx = task().ctx;
    const value = (name: string) => shown.find((r) => r.name === name)!.value;
    expect(BigInt(value('rax'))).toBe(ctx.gpr[Reg.RAX]);
    expect(BigInt(value('r8'))).toBe(ctx.gpr[Reg.R8]);
    expect(BigInt(value('rsp'))).toBe(ctx.gpr[Reg.RSP]);
    expect(BigInt(value('rip'))).toBe(ctx.rip);
    expect(BigInt(value('fs_base'))).toBe(ctx.fsBase);
    expect(shown.find((r) => r.name === 'rflags')!.decoded).toBe(decodeRflags(ctx.rflags));
    // The first instruction of the section (cmp) moves rip and sets flags, nothing else.
    const differ = shown.filter((r, i) => r.value !== before[i].value).map((r) => r.name);
    expect(differ).toContain('rip');
    expect(shown.filter((r) => r.changed).map((r) => r.name)).toEqual(differ);
    expect(differ.length).toBeLessThan(REGISTER_NAMES.length);
  });
});

describe('the rseq area', () => {
  it('names the section rseq_cs points to, and marks rseq_cs only when an action changed it', async () => {
    const s = await session('rseq_counter', '2 300');
    const tid = s.runToSection()!;
    const cs = s.machine.criticalSections[0];
    const f = (name: string) => s.view().threads.find((t) => t.tid === tid)!.rseq!.fields.find((x) => x.name === name);
    expect(f('rseq_cs')).toMatchObject({ value: '0x' + cs.descriptorAddress.toString(16), changed: true });
    expect(f('rseq_cs.section')!.value).toBe(`#0 at ${cs.symbol}`);
    expect(cs.symbol).toMatch(/^rseq_addv\+/);
    expect(f('rseq_cs.abort_ip')!.value).toBe('0x' + cs.abort.toString(16));
    // The cmp inside the section changes no field.
    s.stepThread(tid);
    expect(f('rseq_cs')!.changed).toBe(false);
    expect(f('rseq_cs.section')!.changed).toBe(false);
    expect(f('cpu_id')!.changed).toBe(false);
    // The abort clears rseq_cs: changed, and no descriptor is shown any more.
    s.injectHere(tid, { kind: 'preempt' });
    expect(f('rseq_cs')).toMatchObject({ value: '0x0', changed: true });
    expect(f('rseq_cs.section')).toBeUndefined();
  });
});

describe('per-CPU data', () => {
  it('describes arrays that exist in each bundled program with the size the description says', async () => {
    for (const [name, arrays] of Object.entries(PERCPU_DATA)) {
      const image = parseElf(await programBytes(name));
      const data = readPerCpuData(name, image.symbols, 4, () => new Uint8Array(8));
      expect(data.described, name).toBe(true);
      if (!data.described) continue;
      for (const a of data.arrays) expect(a.problem, `${name} ${a.symbol}`).toBeUndefined();
      // A two-dimensional array is shown as one table per outer index.
      expect(data.arrays.map((a) => a.symbol)).toEqual(arrays.flatMap((a) => a.outer ? [...Array(a.outer).keys()].map((k) => `${a.symbol}[${k}]`) : [a.symbol]));
    }
  });

  it('says when a description does not match the binary, and when a program has none', async () => {
    const symbols = new SymbolTable([{ name: 'counts', address: 0x1000, size: 64 * 100, kind: 'other', global: false }]);
    const data = readPerCpuData('rseq_counter', symbols, 2, () => new Uint8Array(8));
    expect(data.described && data.arrays[0].problem).toMatch(/counts is 6400 bytes, not 256 × 64/);
    const none = readPerCpuData('hello', symbols, 2, () => new Uint8Array(8));
    expect(none).toEqual({ described: false, reason: expect.stringMatching(/No per-CPU data is described for hello/) });
  });

  it('walks a list head to count its nodes, and stops on a loop', () => {
    const memory = new Map<number, bigint>([[0x1000, 0x2000n], [0x2000, 0x3000n], [0x3000, 0n], [0x4000, 0x4000n]]);
    const symbols = new SymbolTable([{ name: 'heads', address: 0x1000, size: 64 * 256, kind: 'other', global: false }]);
    const read = (address: number) => {
      const b = new Uint8Array(8);
      // heads[1] (at 0x1040) is a node that points at itself.
      new DataView(b.buffer).setBigUint64(0, address === 0x1040 ? 0x4000n : memory.get(address) ?? 0n, true);
      return b;
    };
    const data = readPerCpuData('rseq_list', symbols, 3, read);
    expect(cell(data, 'heads[0]', 'v')?.value).toBe('0x2000 (2 nodes)');
    expect(cell(data, 'heads[1]', 'v')?.value).toBe('0x4000 (1000+ nodes)');
    expect(cell(data, 'heads[2]', 'v')?.value).toBe('empty');
  });

  it("rseq_counter: the counters read from guest memory add up to the total the program prints", async () => {
    for (const [args, cpus] of [['2 300', 2], ['3 200', 4]] as const) {
      const s = await session('rseq_counter', args, cpus);
      s.runToEnd();
      const v = s.view();
      expect(v.kind).toBe('exited');
      const printed = /= (\d+)/.exec(v.stdout)?.[1];
      expect(printed).toBeDefined();
      if (!v.perCpu.described) throw new Error(v.perCpu.reason);
      const rows = v.perCpu.arrays[0].rows;
      expect(rows.map((r) => r.label)).toEqual([...Array(cpus).keys()].map((i) => `counts[${i}]`));
      const total = rows.reduce((sum, r) => sum + Number(r.values[0].value), 0);
      expect(total).toBe(Number(printed));
      expect(total).toBe(args.split(' ').map(Number).reduce((a, b) => a * b));
    }
  });

  it('rseq_membarrier: the five arrays, read as arrays[k][cpu], add up to the additions the workers counted (total_additions)', async () => {
    const s = await session('rseq_membarrier', '2');
    s.runToEnd();
    const v = s.view();
    expect(v.kind).toBe('exited');
    expect(v.exitCode).toBe(0);
    if (!v.perCpu.described) throw new Error(v.perCpu.reason);
    expect(v.perCpu.arrays.map((a) => a.symbol)).toEqual(['arrays[0]', 'arrays[1]', 'arrays[2]', 'arrays[3]', 'arrays[4]']);
    expect(v.perCpu.arrays[4].rows.map((r) => r.label)).toEqual(['arrays[4][0]', 'arrays[4][1]']);
    const all = v.perCpu.arrays.flatMap((a) => a.rows).reduce((sum, r) => sum + Number(r.values[0].value), 0);
    const b = s.machine.readSymbol('total_additions', 8);
    expect(all).toBe(Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true)));
    expect(all).toBeGreaterThan(0);
  });

  it("rseq_counter: the commit adds one to the counter of the thread's CPU, and only that value is marked", async () => {
    const s = await session('rseq_counter', '2 300');
    const tid = s.runToSection()!;
    const section = s.machine.criticalSections[0];
    const rip = () => Number(s.machine.kernel.tasks.get(tid)!.ctx.rip);
    // Step the thread to its commit instruction (the last one of the section).
    while (sectionRole([section], rip(), s.machine.cpu.decode(rip()).length) !== 'commit') s.stepThread(tid);
    const cpu = s.machine.kernel.tasks.get(tid)!.cpu;
    const before = Number(cell(s.view().perCpu, `counts[${cpu}]`, 'v')!.value);
    s.stepThread(tid);
    expect(rip()).toBe(section.postCommit);
    const after = s.view().perCpu;
    expect(cell(after, `counts[${cpu}]`, 'v')).toEqual({ field: 'v', value: String(before + 1), changed: true });
    expect(cell(after, `counts[${1 - cpu}]`, 'v')!.changed).toBe(false);
  });

  it('rseq_ring: head and tail of every CPU ring, tail moving past head as items are pushed', async () => {
    const s = await session('rseq_ring', '2 40');
    for (let i = 0; i < 20; i++) s.runToSection();
    const v = s.view().perCpu;
    if (!v.described) throw new Error(v.reason);
    expect(v.arrays.map((a) => a.symbol)).toEqual(['words', 'records']);
    for (const a of v.arrays) expect(a.fields).toEqual(['head', 'tail']);
    const ints = v.arrays.flatMap((a) => a.rows.flatMap((r) => r.values.map((x) => Number(x.value))));
    expect(ints.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    expect(ints.some((n) => n > 0)).toBe(true);
  });
});

describe('the code view', () => {
  it('names every role of a section: start, inside, commit, post-commit, signature, abort handler', async () => {
    const s = await session('rseq_counter', '2 300');
    const cs = s.machine.criticalSections[0];
    expect(sectionRole([cs], cs.start, 2)).toBe('start');
    expect(sectionRole([cs], cs.start + 2, 2)).toBe('inside');
    expect(sectionRole([cs], cs.postCommit - 3, 3)).toBe('commit');
    expect(sectionRole([cs], cs.postCommit, 2)).toBe('post-commit');
    expect(sectionRole([cs], cs.abort - 4, 4)).toBe('signature');
    expect(sectionRole([cs], cs.abort - 7, 7)).toBe('signature');
    expect(sectionRole([cs], cs.abort - 7, 3)).toBeUndefined();
    expect(sectionRole([cs], cs.abort, 5)).toBe('abort');
    expect(sectionRole([cs], cs.start - 1, 1)).toBeUndefined();
  });

  it('draws the section as a band with its post-commit, the signature as data before the abort handler, and labels', async () => {
    const s = await session('rseq_counter', '2 300');
    const tid = s.runToSection()!;
    s.stepThread(tid);
    const cs = s.machine.criticalSections[0];
    const v = s.codeView(tid, decode)!;
    const lines = v.blocks.flatMap((b) => b.lines);
    const at = (role: string) => lines.filter((l) => l.role === role);
    expect(at('start').map((l) => l.address)).toEqual([cs.start]);
    expect(at('commit').map((l) => l.address + l.size)).toEqual([cs.postCommit]);
    expect(at('post-commit').map((l) => l.address)).toEqual([cs.postCommit]);
    // The band is contiguous: start, inside…, commit, all of section #0.
    const band = v.blocks[0].lines.filter((l) => l.kind === 'instruction' && l.address >= cs.start && l.address < cs.postCommit);
    expect(band[0].role).toBe('start');
    expect(band.at(-1)!.role).toBe('commit');
    expect(band.slice(1, -1).every((l) => l.role === 'inside')).toBe(true);
    expect(band.every((l) => l.section === 0)).toBe(true);
    // The section's cpu_id check branches to the abort handler, and says so.
    expect(band.find((l) => /^jne /.test(l.text))?.target).toBe('abort handler #0');
    expect(lines.find((l) => l.kind === 'section')?.text).toContain(`abort 0x${cs.abort.toString(16)}`);
    // The abort handler is elsewhere (__rseq_failure): its own block, the signature as a .long, never decoded.
    const handler = v.blocks.find((b) => b.title === 'abort handler of critical section #0')!;
    const sig = handler.lines.find((l) => l.role === 'signature')!;
    expect(sig).toMatchObject({ kind: 'data', address: cs.abort - 4, size: 4, text: `.long 0x${RSEQ_SIG.toString(16)}` });
    expect(cs.abortSignature).toBe(RSEQ_SIG);
    expect(lines.filter((l) => l.kind === 'instruction' && l.address < cs.abort && l.address + l.size > cs.abort - 4)).toEqual([]);
    expect(handler.lines[handler.lines.indexOf(sig) + 1]).toMatchObject({ kind: 'instruction', address: cs.abort, role: 'abort' });
    // The function's name labels its first instruction.
    const fn = s.machine.symbols.symbolize(cs.start)!.symbol;
    const label = lines.findIndex((l) => l.kind === 'label' && l.text === `${fn.name}:`);
    expect(label).toBeGreaterThanOrEqual(0);
    expect(lines[label + 1].address).toBe(fn.address);
    expect(lines.filter((l) => l.current).map((l) => l.address)).toEqual([Number(s.machine.kernel.tasks.get(tid)!.ctx.rip)]);
  });

  it("sweeps from the signature when the thread is in the abort handler, after a preemption", async () => {
    const s = await session('rseq_counter', '2 300');
    const tid = s.runToSection()!;
    s.stepThread(tid);
    s.injectHere(tid, { kind: 'preempt' });
    const cs = s.machine.criticalSections[0];
    const v = s.codeView(tid, decode)!;
    // No symbol covers __rseq_failure: the thread's place is named after the handler.
    const t = s.view().threads.find((x) => x.tid === tid)!;
    expect(t.symbol).toBe('abort handler #0');
    const current = v.blocks[0].lines.find((l) => l.current)!;
    expect(current).toMatchObject({ address: cs.abort, role: 'abort' });
    expect(v.blocks[0].lines.find((l) => l.role === 'signature')?.text).toBe(`.long 0x${RSEQ_SIG.toString(16)}`);
    // The handler is out of line: it ends at its jump back, and the section it aborted is shown beside it.
    expect(v.blocks[0].lines.at(-1)!.text).toMatch(/^jmp /);
    expect(v.blocks[1].title).toBe('critical section #0, which it aborted');
    expect(v.blocks[1].lines.filter((l) => l.role === 'start' || l.role === 'commit' || l.role === 'post-commit').map((l) => l.role)).toEqual(['start', 'commit', 'post-commit']);
  });

  it("marks every thread's instruction: on its line when in view, else listed as elsewhere", async () => {
    // Enough increments that the first worker is still adding when main has started the second.
    const s = await session('rseq_counter', '2 3000');
    const markedTwice = (lines: CodeLine[]) => lines.some((l) => l.threads.length > 0) && lines.filter((l) => l.threads.length > 0).flatMap((l) => l.threads).length >= 2;
    let seen = false;
    for (let n = 0; n < 1000 && !seen; n++) {
      const tid = s.runToSection()!;
      const v = s.codeView(tid, decode)!;
      const lines = v.blocks.flatMap((b) => b.lines);
      const live = [...s.machine.kernel.tasks.values()].filter((t) => t.state !== 'dead');
      // Each live thread exactly once: on the line of its rip, or elsewhere.
      for (const t of live) {
        const on = lines.filter((l) => l.threads.some((m) => m.tid === t.tid));
        const away = v.elsewhere.filter((m) => m.tid === t.tid);
        expect(on.length + away.length, `thread ${t.tid}`).toBe(1);
        if (on.length) expect(on[0]).toMatchObject({ kind: 'instruction', address: Number(t.ctx.rip) });
        else expect(lines.some((l) => l.kind === 'instruction' && l.address === Number(t.ctx.rip))).toBe(false);
        for (const m of [...on.flatMap((l) => l.threads), ...away].filter((m) => m.tid === t.tid)) expect(m.cpu).toBe(t.cpu);
      }
      seen = markedTwice(lines);
    }
    // Both workers run the same few instructions: at some step both are in view at once.
    expect(seen).toBe(true);
  });
});

describe('the code view of a broken section', () => {
  it('rseq_bug_abort_inside: the abort handler and its signature are marked inside the band, the signature still as data', async () => {
    const s = await session('rseq_bug_abort_inside', '');
    const tid = s.runToSection()!;
    const cs = s.machine.criticalSections[0];
    expect(cs.abort > cs.start && cs.abort < cs.postCommit).toBe(true);
    const lines = s.codeView(tid, decode)!.blocks.flatMap((b) => b.lines);
    const abort = lines.find((l) => l.role === 'abort')!;
    const sig = lines.find((l) => l.role === 'signature')!;
    expect(abort).toMatchObject({ address: cs.abort, kind: 'instruction', band: 0 });
    expect(sig).toMatchObject({ address: cs.abort - 4, kind: 'data', band: 0, text: `.long 0x${RSEQ_SIG.toString(16)}` });
    // In front of it, the ud1 opcode bytes the program writes so that disassemblers read a trap: data too, and named.
    expect(lines[lines.indexOf(sig) - 1]).toMatchObject({ kind: 'data', address: cs.abort - 7, text: '.byte 0xf, 0xb9, 0x3d', note: 'ud1 opcode: the signature is its displacement' });
    // The band still runs from start to commit, unbroken.
    const band = lines.filter((l) => l.band === 0);
    expect(band[0].role).toBe('start');
    expect(band.at(-1)!.role).toBe('commit');
    expect(band.every((l, i) => i === 0 || l.address === band[i - 1].address + band[i - 1].size)).toBe(true);
  });
});

// Compares our decoder (Cpu.decode) with iced-x86, instruction by
// instruction: length, that we implement what iced decodes, mnemonic
// family, register operands, the memory operand, the immediate and the
// operand size. Differences are grouped by kind with a few examples each.

import { CpuidFeature, Decoder, DecoderOptions, EncodingKind, Formatter, FormatterSyntax, Instruction, Mnemonic, OpCodeOperandKind, OpKind, Register } from 'iced-x86';
import { PROT_EXEC, PROT_READ, type Cpu, type DecodedInstruction } from '../../emulator/index.js';
import { OPCODE_TABLE, type OpcodeRow } from '../../emulator/table/index.js';
import { rowName } from '../differential/generate.js';

const EXAMPLES = 4;

export class DecodeStats {
  /** Instructions both decoders decoded (and so compared). */
  compared = 0;
  /** Byte positions iced rejects (skipped one byte at a time in linear walks). */
  icedInvalid = 0;
  /** iced decodes it, it belongs to a feature our CPUID advertises, and we do not decode it: a failure. */
  readonly unimplemented = new Map<string, { count: number; example: string }>();
  /**
   * Instructions of extensions our CPUID does not advertise (AVX, TSX,
   * XSAVE, ...): a CPU without them raises #UD, and so must we.
   * glibc keeps such variants in .text and picks them only when cpuid says so.
   * Our decoder reports them as 'not-advertised' with their length, which
   * must agree with iced; their operands are not compared.
   */
  readonly notAdvertised = new Map<string, number>();
  notAdvertisedCount = 0;
  /** Encodings we decode that iced rejects. */
  readonly weAcceptInvalid: string[] = [];
  weAcceptInvalidCount = 0;
  readonly mismatches = new Map<string, { count: number; examples: string[] }>();

  addMismatch(key: string, example: string): void {
    const m = this.mismatches.get(key) ?? { count: 0, examples: [] };
    this.mismatches.set(key, m);
    m.count++;
    if (m.examples.length < EXAMPLES) m.examples.push(example);
  }

  get mismatchCount(): number {
    let n = 0;
    for (const m of this.mismatches.values()) n += m.count;
    return n;
  }

  /** A failure message listing everything that differs; empty when all agree. */
  report(title: string): string {
    const parts: string[] = [];
    if (this.unimplemented.size) {
      // Legacy encodings first (what the CPU must have), then VEX/EVEX (ifunc variants chosen by CPUID).
      const legacy = (k: string) => (k.includes('(') ? 1 : 0);
      const list = [...this.unimplemented].sort((a, b) => legacy(a[0]) - legacy(b[0]) || b[1].count - a[1].count);
      const total = list.reduce((n, [, v]) => n + v.count, 0);
      parts.push(`${total} instructions (${list.length} mnemonics) iced decodes but we do not implement:\n` +
        list.map(([k, v]) => `  ${k.padEnd(28)} ${String(v.count).padStart(7)}   e.g. ${v.example}`).join('\n'));
    }
    if (this.mismatches.size) {
      const list = [...this.mismatches].sort((a, b) => b[1].count - a[1].count);
      parts.push(`${this.mismatchCount} decoded instructions differ from iced:\n` +
        list.map(([k, v]) => `  ${k}: ${v.count}\n${v.examples.map((e) => '      ' + e).join('\n')}`).join('\n'));
    }
    if (this.weAcceptInvalidCount) {
      parts.push(`${this.weAcceptInvalidCount} encodings iced rejects but we decode:\n${this.weAcceptInvalid.map((e) => '      ' + e).join('\n')}`);
    }
    return parts.length ? `${title}\n\n${parts.join('\n\n')}` : '';
  }
}

/** Mnemonics iced may print for one of our rows (same instruction, other operand size or alias). */
const ALIASES: Record<string, string[]> = {
  cdqe: ['cbw', 'cwde', 'cdqe'],
  cqo: ['cwd', 'cdq', 'cqo'],
  movs: ['movsw', 'movsd', 'movsq'],
  cmps: ['cmpsw', 'cmpsd', 'cmpsq'],
  stos: ['stosw', 'stosd', 'stosq'],
  lods: ['lodsw', 'lodsd', 'lodsq'],
  scas: ['scasw', 'scasd', 'scasq'],
  pushfq: ['pushf', 'pushfq'],
  popfq: ['popf', 'popfq'],
  xchg: ['xchg', 'nop', 'pause'],
  wait: ['wait', 'fwait'],
  jrcxz: ['jrcxz', 'jecxz'],
  cmpxchg16b: ['cmpxchg16b', 'cmpxchg8b'],
  xlatb: ['xlatb', 'xlat'],
  sal: ['sal', 'shl'],
  shl: ['shl', 'sal'],
  movd: ['movd', 'movq'],
  movq: ['movq', 'movd'],
  // REX.W selects the 64-bit-pointer layout of the same instruction.
  fxsave: ['fxsave', 'fxsave64'],
  fxrstor: ['fxrstor', 'fxrstor64'],
  // F3 0F AE /5 (reg): REX.W picks the q form.
  incsspq: ['incsspq', 'incsspd'],
  // D9 D8+i, the undocumented alias of fstp st(i) (iced: fstpnce).
  fstp1: ['fstpnce'],
  // REX.W makes the explicit lengths rax/rdx.
  pcmpestri: ['pcmpestri', 'pcmpestri64'],
  pcmpestrm: ['pcmpestrm', 'pcmpestrm64'],
  // 66 0F 3A 16: REX.W picks the q form.
  pextrd: ['pextrd', 'pextrq'],
  pinsrd: ['pinsrd', 'pinsrq'],
};

/** 0F 0D and 0F 18-1F: the hint-NOP space (prefetches, endbr64, reserved NOPs, MPX, CET). */
function isHintNop(row: OpcodeRow): boolean {
  return row.handler === 'Nop' && row.modrm && row.map === '0f' && (row.op === 0x0d || (row.op >= 0x18 && row.op <= 0x1f));
}

function sameMnemonic(row: OpcodeRow, iced: string): boolean {
  if (isHintNop(row)) return true;
  if (row.mnemonic === iced) return true;
  // x87 aliases are numbered in the table (fxch4, fstp8, fcomp5): iced prints the plain name.
  if (row.test === 'x87' && row.mnemonic.replace(/\d+$/, '') === iced) return true;
  return ALIASES[row.mnemonic]?.includes(iced) ?? false;
}

/** Our register numbering for an iced register: 0-15, AH..BH as 16-19, xmm/st/mm by index. */
export function regCode(r: Register): number | undefined {
  if (r >= Register.AL && r <= Register.BL) return r - Register.AL;
  if (r >= Register.AH && r <= Register.BH) return 16 + (r - Register.AH);
  if (r >= Register.SPL && r <= Register.DIL) return 4 + (r - Register.SPL);
  if (r >= Register.R8L && r <= Register.R15L) return 8 + (r - Register.R8L);
  if (r >= Register.AX && r <= Register.R15W) return r - Register.AX;
  if (r >= Register.EAX && r <= Register.R15D) return r - Register.EAX;
  if (r >= Register.RAX && r <= Register.R15) return r - Register.RAX;
  if (r >= Register.XMM0 && r <= Register.XMM15) return r - Register.XMM0;
  if (r >= Register.ST0 && r <= Register.ST0 + 7) return r - Register.ST0;
  if (r >= Register.MM0 && r <= Register.MM0 + 7) return r - Register.MM0;
  return undefined;
}

const IMM_BITS: Partial<Record<OpKind, number>> = {
  [OpKind.Immediate8]: 8,
  [OpKind.Immediate16]: 16,
  [OpKind.Immediate32]: 32,
  [OpKind.Immediate64]: 64,
  [OpKind.Immediate8to16]: 16,
  [OpKind.Immediate8to32]: 32,
  [OpKind.Immediate8to64]: 64,
  [OpKind.Immediate32to64]: 64,
};

const hexs = (v: bigint | number) => '0x' + v.toString(16);

export class DecodeComparer {
  private readonly formatter = new Formatter(FormatterSyntax.Intel);
  private readonly infoByCode = new Map<number, { operandSize: number; opKinds: OpCodeOperandKind[] }>();

  constructor(readonly stats: DecodeStats) {}

  /** iced's view of an instruction's encoding: required operand size (bits, 0 if none) and where each operand comes from. */
  private codeInfo(insn: Instruction): { operandSize: number; opKinds: OpCodeOperandKind[] } {
    let info = this.infoByCode.get(insn.code);
    if (!info) {
      const oc = insn.opCode;
      info = { operandSize: oc.operandSize, opKinds: Array.from({ length: oc.opCount }, (_, i) => oc.opKind(i)) };
      oc.free();
      this.infoByCode.set(insn.code, info);
    }
    return info;
  }

  private describe(addr: number, bytes: Uint8Array, insn: Instruction, ours: DecodedInstruction): string {
    const b = Buffer.from(bytes.subarray(0, Math.max(insn.length, ours.length, 1))).toString('hex');
    const row = ours.row >= 0 ? OPCODE_TABLE[ours.row] : undefined;
    const mem = ours.memory
      ? ` mem{base ${ours.memory.base} index ${ours.memory.index} scale ${ours.memory.scale} disp ${hexs(ours.memory.disp)}${ours.memory.ripRelative ? ' rip' : ''}${ours.memory.segment ? ' ' + ours.memory.segment : ''} a${ours.memory.addressSize}}`
      : '';
    const ourText = row
      ? `${rowName(row, ours.row)} len ${ours.length} size ${ours.operandSize} reg ${ours.reg} rm ${ours.rm}${mem} imm ${hexs(ours.immediate)}`
      : `${ours.status} len ${ours.length}`;
    return `${addr.toString(16)}: ${b}  iced: ${this.formatter.format(insn)} (len ${insn.length})  ours: ${ourText}`;
  }

  /** Compares one instruction iced decoded (valid) with ours at the same address. */
  compare(addr: number, bytes: Uint8Array, insn: Instruction, ours: DecodedInstruction): void {
    const st = this.stats;
    const icedName = Mnemonic[insn.mnemonic].toLowerCase();
    const enc = insn.encoding === EncodingKind.Legacy ? '' : ` (${EncodingKind[insn.encoding]})`;
    // An instruction we do decode is compared in full whatever its feature
    // (hint-space nops such as rdssp or prefetchit0 run as nops on CPUs
    // without the feature). One we reject is a failure only if cpuid says
    // the CPU has its feature.
    if (ours.status !== 'ok' && !isAdvertised(insn)) {
      st.notAdvertisedCount++;
      st.notAdvertised.set(icedName + enc, (st.notAdvertised.get(icedName + enc) ?? 0) + 1);
      // It must be rejected as #UD with its length known.
      if (ours.status !== 'not-advertised') st.addMismatch(`not recognised as an unadvertised extension: ${icedName}${enc}`, this.describe(addr, bytes, insn, ours));
      else if (ours.length !== insn.length) st.addMismatch(`length of an unadvertised extension: ${icedName}${enc}`, this.describe(addr, bytes, insn, ours));
      return;
    }
    if (ours.status !== 'ok') {
      const key = icedName + enc;
      const u = st.unimplemented.get(key) ?? { count: 0, example: `${addr.toString(16)}: ${Buffer.from(bytes.subarray(0, insn.length)).toString('hex')}  ${this.formatter.format(insn)}` };
      u.count++;
      st.unimplemented.set(key, u);
      return;
    }
    st.compared++;
    const row = OPCODE_TABLE[ours.row];
    const bad = (key: string) => st.addMismatch(key, this.describe(addr, bytes, insn, ours));
    if (!row) return bad('row index outside OPCODE_TABLE (stale build/emulator.wasm?)');
    if (ours.length !== insn.length) return bad('length');
    if (!sameMnemonic(row, icedName)) bad(`mnemonic: ours ${row.mnemonic}, iced ${icedName}`);

    // Operands iced lists explicitly.
    const icedRegs: number[] = [];
    let memOp = -1;
    const imms: number[] = [];
    let branch = -1;
    for (let i = 0; i < insn.opCount; i++) {
      const k = insn.opKind(i);
      if (k === OpKind.Register) {
        const c = regCode(insn.opRegister(i));
        if (c !== undefined) icedRegs.push(c);
      } else if (k === OpKind.Memory) memOp = i;
      else if (k === OpKind.NearBranch16 || k === OpKind.NearBranch32 || k === OpKind.NearBranch64) branch = i;
      else if (IMM_BITS[k] !== undefined || k === OpKind.Immediate8_2nd) imms.push(i);
    }

    // Register operands, by the field that encodes them (iced's OpCodeOperandKind):
    // ModRM.reg against our reg, ModRM.rm and opcode +r against our rm.
    const info = this.codeInfo(insn);
    if (!isHintNop(row)) {
      for (let i = 0; i < insn.opCount && i < info.opKinds.length; i++) {
        if (insn.opKind(i) !== OpKind.Register) continue;
        const name = OpCodeOperandKind[info.opKinds[i]];
        const code = regCode(insn.opRegister(i));
        if (code === undefined) continue;
        if (name.endsWith('_reg')) {
          if (ours.reg !== code) bad(`register operand: ModRM.reg (${row.mnemonic})`);
        } else if (name.endsWith('_rm') || name.endsWith('_or_mem') || /^r\d+_opcode$/.test(name)) {
          if (ours.rm !== code) bad(`register operand: ModRM.rm / opcode register (${row.mnemonic})`);
        } else if (name === 'sti_opcode') {
          // REX.B does not extend st(i); our field keeps the bit, handlers use the low three.
          if ((ours.rm & 7) !== code) bad(`register operand: st(i) (${row.mnemonic})`);
        }
      }
    }

    // The memory operand (moffs forms: our immediate is the address).
    if (row.imm === 'Ob') {
      if (memOp < 0 || BigInt.asUintN(64, insn.memoryDisplacementU64) !== BigInt.asUintN(64, ours.immediate)) bad('moffs address');
    } else if (memOp >= 0 && !ours.memory) {
      bad('memory operand missing');
    } else if (memOp < 0 && ours.memory) {
      bad('memory operand where iced has none');
    } else if (memOp >= 0 && ours.memory) {
      this.compareMemory(insn, ours.memory, bad, row.handler === 'Xlat');
    }

    // Immediates and branch targets.
    if (branch >= 0) {
      if (BigInt.asUintN(64, insn.nearBranchTarget) !== BigInt.asUintN(64, ours.immediate)) bad('branch target');
    } else if (imms.length === 2 && insn.opKind(imms[1]) === OpKind.Immediate8_2nd) {
      const v = (insn.immediate(imms[0]) & 0xffffn) | ((insn.immediate(imms[1]) & 0xffn) << 16n);
      if (v !== (ours.immediate & 0xffffffn)) bad('immediate (enter)');
    } else if (imms.length >= 1 && !(imms.length === 1 && info.opKinds[imms[0]] === OpCodeOperandKind.imm8_const_1)) {
      const i = imms[imms.length - 1];
      const bits = BigInt(IMM_BITS[insn.opKind(i)] ?? 64);
      if (BigInt.asUintN(Number(bits), insn.immediate(i)) !== BigInt.asUintN(Number(bits), ours.immediate)) bad('immediate');
    }

    // Operand size, where iced's encoding fixes one.
    // x87 environment forms ignore REX.W (28-byte layout either way): our 8 is iced's 32 there.
    const size = info.operandSize;
    const x87RexW = row.test === 'x87' && size === 32 && ours.operandSize === 8;
    if (size !== 0 && ours.operandSize * 8 !== size && !isHintNop(row) && !x87RexW) bad(`operand size (${row.mnemonic})`);

    if (insn.hasLockPrefix !== ours.prefixes.lock) bad('lock prefix');
  }

  /** xlat: iced names its operand [rbx + al]; ours is [rbx] with al implicit (the handler adds it). */
  private compareMemory(insn: Instruction, m: NonNullable<DecodedInstruction['memory']>, bad: (k: string) => void, xlat = false): void {
    const base = insn.memoryBase;
    const rip = base === Register.RIP || base === Register.EIP;
    if (xlat && insn.memoryIndex !== Register.AL) return bad('memory: xlat index (al)');
    const icedIndex = xlat ? Register.None : insn.memoryIndex;
    const a32 = base === Register.EIP || (base >= Register.EAX && base <= Register.R15D) ||
      (icedIndex >= Register.EAX && icedIndex <= Register.R15D);
    // With no register to tell, 67 [disp32] is judged by our address size.
    const dispBits = a32 || m.addressSize === 32 ? 32 : 64;
    if (rip !== m.ripRelative) return bad('memory: rip-relative');
    if (!rip) {
      const b = base === Register.None ? -1 : regCode(base);
      if (b !== m.base) return bad('memory: base');
    }
    const idx = icedIndex === Register.None ? -1 : regCode(icedIndex);
    if (idx !== m.index) return bad('memory: index');
    if (idx !== -1 && insn.memoryIndexScale !== m.scale) return bad('memory: scale');
    if (BigInt.asUintN(dispBits, insn.memoryDisplacementU64) !== BigInt.asUintN(dispBits, m.disp)) return bad('memory: displacement');
    const seg = insn.memorySegment === Register.FS ? 'fs' : insn.memorySegment === Register.GS ? 'gs' : null;
    if (seg !== m.segment) return bad('memory: segment');
    if ((base !== Register.None || icedIndex !== Register.None) && (a32 ? 32 : 64) !== m.addressSize) bad('memory: address size');
  }
}

/**
 * Maps `code` at `addr` in the CPU (read + execute) and walks it linearly:
 * each instruction iced decodes is compared with ours; where iced finds no
 * valid instruction, both skip one byte.
 */
export function walkLinear(cpu: Cpu, code: Uint8Array, addr: number, stats: DecodeStats): void {
  cpu.map(addr, code.length, PROT_READ | PROT_EXEC);
  cpu.write(addr, code);
  const cmp = new DecodeComparer(stats);
  const dec = new Decoder(64, code, DecoderOptions.None);
  const insn = new Instruction();
  try {
    let pos = 0;
    while (pos < code.length) {
      dec.position = pos;
      dec.ip = BigInt(addr + pos);
      dec.decodeOut(insn);
      if (insn.isInvalid) {
        stats.icedInvalid++;
        pos++;
        continue;
      }
      const ours = cpu.decode(addr + pos);
      cmp.compare(addr + pos, code.subarray(pos, pos + 15), insn, ours);
      pos += insn.length;
    }
  } finally {
    insn.free();
    dec.free();
  }
}

/**
 * Decodes each of `encodings` (placed one after another at `addr`) with
 * both decoders. An encoding iced rejects but we decode is recorded.
 */
export function compareEncodings(cpu: Cpu, encodings: Uint8Array[], addr: number, stats: DecodeStats, expectedRow?: number): void {
  const total = encodings.reduce((n, e) => n + e.length, 0) + 16;
  const code = new Uint8Array(total);
  const starts: number[] = [];
  let p = 0;
  for (const e of encodings) {
    starts.push(p);
    code.set(e, p);
    p += e.length;
  }
  cpu.map(addr, total, PROT_READ | PROT_EXEC);
  cpu.write(addr, code);
  const cmp = new DecodeComparer(stats);
  const insn = new Instruction();
  const fmt = new Formatter(FormatterSyntax.Intel);
  try {
    encodings.forEach((e, i) => {
      const dec = new Decoder(64, e, DecoderOptions.None);
      dec.ip = BigInt(addr + starts[i]);
      dec.decodeOut(insn);
      dec.free();
      const ours = cpu.decode(addr + starts[i]);
      if (insn.isInvalid || insn.length !== e.length) {
        if (ours.status === 'ok' && insn.isInvalid) {
          stats.weAcceptInvalidCount++;
          if (stats.weAcceptInvalid.length < 12) {
            const row = OPCODE_TABLE[ours.row];
            stats.weAcceptInvalid.push(`${Buffer.from(e).toString('hex')}  (ours: ${row ? rowName(row, ours.row) : '?'}, len ${ours.length})`);
          }
          return;
        }
        if (insn.isInvalid) {
          stats.icedInvalid++;
          return;
        }
        stats.addMismatch('iced decodes a generated encoding with another length', `${Buffer.from(e).toString('hex')}  iced: ${fmt.format(insn)} len ${insn.length}`);
        return;
      }
      if (expectedRow !== undefined && ours.status === 'ok' && ours.row !== expectedRow) {
        const got = OPCODE_TABLE[ours.row];
        stats.addMismatch(`decoded as another row: ${got ? rowName(got, ours.row) : ours.row}`, `${Buffer.from(e).toString('hex')}  iced: ${fmt.format(insn)}`);
      }
      cmp.compare(addr + starts[i], code.subarray(starts[i], starts[i] + 15), insn, ours);
    });
  } finally {
    insn.free();
    fmt.free();
  }
}

/**
 * The CPUID features of emulator/assembly/cpuid.ts (plus what every x86-64
 * CPU has: the 8086..486 base, x64, cpuid, syscall, clflush, multi-byte
 * nops, pause, and endbr64, which is a nop without CET).
 */
const ADVERTISED = new Set<number>([
  CpuidFeature.INTEL8086, CpuidFeature.INTEL186, CpuidFeature.INTEL286, CpuidFeature.INTEL386, CpuidFeature.INTEL486,
  CpuidFeature.X64, CpuidFeature.CPUID, CpuidFeature.SYSCALL, CpuidFeature.CLFSH, CpuidFeature.MULTIBYTENOP, CpuidFeature.PAUSE,
  CpuidFeature.CET_IBT, CpuidFeature.FPU, CpuidFeature.FPU287, CpuidFeature.FPU387, CpuidFeature.TSC, CpuidFeature.CX8,
  CpuidFeature.CMOV, CpuidFeature.MMX, CpuidFeature.FXSR, CpuidFeature.SSE, CpuidFeature.SSE2, CpuidFeature.CMPXCHG16B, CpuidFeature.POPCNT,
  CpuidFeature.BMI1, CpuidFeature.LZCNT,
  CpuidFeature.SSE3, CpuidFeature.SSSE3, CpuidFeature.SSE4_1, CpuidFeature.SSE4_2,
]);

function isAdvertised(insn: Instruction): boolean {
  return [...insn.cpuidFeatures()].every((f) => ADVERTISED.has(f));
}

// Generates the decoder's lookup arrays and the handler dispatch from the
// opcode table (emulator/table). Run by scripts/build-wasm.mjs before asc.
//
// Output: emulator/assembly/generated/table.ts and dispatch.ts.
//
// dispatch() is @inline: the run loop holds the br_table and the handler
// bodies, with no call per instruction (runBlocks still returns per slice, so
// the engine tiers it up).
//
// Specialised handlers: when an ops file exports, next to handler X, an
// `@inline` template `XSpec(d: usize, arg: u32, size: u32, mem: bool)`, the
// rows naming X get one derived handler per (arg, operand size, register or
// memory operand) they can decode to, each a call of the template with
// constants, so the size, operation and operand-kind branches fold away. X
// itself stays the generic form (the template with run-time values). The
// decoder picks the variant from SPEC_FIRST / SPEC_IDS; the table stays the
// only list of instructions.

import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPCODE_TABLE, type OpcodeRow } from '../emulator/table/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asmDir = join(root, 'emulator/assembly');
const outDir = join(asmDir, 'generated');

const MAPS = { '': 0, '0f': 1, '0f38': 2, '0f3a': 3 } as const;
const IMM = { Ib: 1, Iw: 2, Iz: 3, Iv: 4, Jb: 5, Jz: 6, Ob: 7, IwIb: 8 } as const;
const SIZE = { b: 0, w: 1, d: 2, q: 3, v: 4, d64: 5, f64: 6, x: 7 } as const;
const PREFIX = { none: 1, '66': 2, f2: 3, f3: 4 } as const;
const BREGS = { none: 0, reg: 1, rm: 2, both: 3 } as const;
const MMREGS = { reg: 1, rm: 2, both: 3 } as const;

// Bit layout of ROW_INFO; decode.ts reads it through the exported shifts.
const RI = {
  MODRM: 1 << 0, IMM_SHIFT: 1, SIZE_SHIFT: 5, BREGS_SHIFT: 8, PREFIX_SHIFT: 10,
  REG_SHIFT: 13, RM_SHIFT: 17, MOD_SHIFT: 21, LOCK: 1 << 23, ENDS: 1 << 24, PLUSR: 1 << 25, MMREGS_SHIFT: 26,
};

function fail(msg: string): never {
  throw new Error(`gen-decoder: ${msg}`);
}

/** Every exported handler in emulator/assembly/ops, with the file it lives in. */
function findHandlers(): { handlers: Map<string, string>; templates: Set<string> } {
  const found = new Map<string, string>();
  const templates = new Set<string>();
  for (const file of readdirSync(join(asmDir, 'ops')).filter((f) => f.endsWith('.ts')).sort()) {
    const text = readFileSync(join(asmDir, 'ops', file), 'utf8');
    for (const m of text.matchAll(/^export function ([A-Z][A-Za-z0-9_]*)\(d: usize\): void/gm)) {
      if (found.has(m[1])) fail(`handler ${m[1]} defined in both ${found.get(m[1])} and ${file}`);
      found.set(m[1], file.replace(/\.ts$/, ''));
    }
    for (const m of text.matchAll(/^@inline export function ([A-Z][A-Za-z0-9_]*)Spec\(d: usize, arg: u32, size: u32, mem: bool\): void/gm)) {
      templates.add(m[1]);
    }
  }
  for (const t of templates) if (!found.has(t)) fail(`template ${t}Spec has no generic handler ${t}`);
  return { handlers: found, templates };
}

/** Operand sizes a row can decode to (decode.ts, SIZE_*); empty for xmm rows. */
function rowSizes(r: OpcodeRow): number[] {
  switch (r.size) {
    case 'b': return [1];
    case 'w': return [2];
    case 'd': return [4];
    case 'q': case 'f64': return [8];
    case 'v': return [2, 4, 8];
    case 'd64': return [2, 8];
    default: return [];
  }
}

/** Whether a row's operand can be register (false) and/or memory (true). */
function rowMemKinds(r: OpcodeRow): boolean[] {
  if (!r.modrm || r.plusR) return [false];
  if (r.mod === 'mem') return [true];
  if (r.mod === 'reg') return [false];
  return [false, true];
}

/** Index of a variant in a row's block of SPEC_IDS: log2(size) * 2 + mem (decode.ts reads it the same way). */
const specSlot = (size: number, mem: boolean) => Math.log2(size) * 2 + (mem ? 1 : 0);
const SPEC_SLOTS = 8;

function rowInfo(r: OpcodeRow): number {
  const bregs = r.byteRegs ?? (r.size === 'b' ? 'both' : 'none');
  let info = 0;
  if (r.modrm) info |= RI.MODRM;
  if (r.imm) info |= IMM[r.imm] << RI.IMM_SHIFT;
  info |= SIZE[r.size] << RI.SIZE_SHIFT;
  info |= BREGS[bregs] << RI.BREGS_SHIFT;
  if (r.prefix) info |= PREFIX[r.prefix] << RI.PREFIX_SHIFT;
  info |= (r.reg ?? 15) << RI.REG_SHIFT;
  info |= (r.rm ?? 15) << RI.RM_SHIFT;
  info |= (r.mod === 'mem' ? 1 : r.mod === 'reg' ? 2 : 0) << RI.MOD_SHIFT;
  if (r.lock) info |= RI.LOCK;
  if (r.ends) info |= RI.ENDS;
  if (r.plusR) info |= RI.PLUSR;
  if (r.mmRegs) info |= MMREGS[r.mmRegs] << RI.MMREGS_SHIFT;
  return info >>> 0;
}

/** More specific rows first, so the decoder can take the first match. */
function specificity(r: OpcodeRow): number {
  return (r.prefix ? 8 : 0) + (r.rm !== undefined ? 4 : 0) + (r.reg !== undefined ? 2 : 0) + (r.mod ? 1 : 0);
}

export function generate(): { rows: OpcodeRow[]; handlers: string[] } {
  const { handlers: handlerFiles, templates } = findHandlers();
  // Group rows by opcode key; a +r row covers eight opcodes.
  const byKey = new Map<number, OpcodeRow[]>();
  for (const r of OPCODE_TABLE) {
    if (r.vex && r.map === '') fail(`VEX row '${r.mnemonic}' needs a map`);
    if (!handlerFiles.has(r.handler)) fail(`row '${r.mnemonic}' (${r.map || '1-byte'} ${r.op.toString(16)}) names handler ${r.handler}, which no file in emulator/assembly/ops exports`);
    const ops = r.plusR ? [0, 1, 2, 3, 4, 5, 6, 7].map((i) => r.op + i) : [r.op];
    for (const op of ops) {
      const key = ((MAPS[r.map] + (r.vex ? 3 : 0)) << 8) | op;
      const list = byKey.get(key) ?? [];
      list.push(r);
      byKey.set(key, list);
    }
  }
  const handlers = ['Invalid', ...[...new Set(OPCODE_TABLE.map((r) => r.handler))].filter((h) => h !== 'Invalid')];
  const handlerId = new Map(handlers.map((h, i) => [h, i]));
  const rowList: OpcodeRow[] = [];
  const opFirst = new Array<number>(7 * 256).fill(0);
  const opCount = new Array<number>(7 * 256).fill(0);
  for (const key of [...byKey.keys()].sort((a, b) => a - b)) {
    const list = [...byKey.get(key)!].sort((a, b) => specificity(b) - specificity(a));
    const modrm = list[0].modrm;
    if (list.some((r) => r.modrm !== modrm)) fail(`opcode key ${key.toString(16)}: rows disagree on having a ModRM byte`);
    opFirst[key] = rowList.length;
    opCount[key] = list.length;
    rowList.push(...list);
  }

  // Derived variants of rows whose handler has a template, numbered after the generic handlers.
  const variants: { name: string; template: string; arg: number; size: number; mem: boolean }[] = [];
  const variantId = new Map<string, number>();
  const specFirst = new Array<number>(rowList.length).fill(0xffff);
  const specIds: number[] = [];
  rowList.forEach((r, row) => {
    if (!templates.has(r.handler)) return;
    const sizes = rowSizes(r);
    if (sizes.length === 0) return;
    const block = new Array<number>(SPEC_SLOTS).fill(handlerId.get(r.handler)!);
    for (const size of sizes) {
      for (const mem of rowMemKinds(r)) {
        const arg = r.arg ?? 0;
        const name = `${r.handler}_${arg}_${size}${mem ? 'm' : 'r'}`;
        let id = variantId.get(name);
        if (id === undefined) {
          id = handlers.length + variants.length;
          variantId.set(name, id);
          variants.push({ name, template: r.handler + 'Spec', arg, size, mem });
        }
        block[specSlot(size, mem)] = id;
      }
    }
    specFirst[row] = specIds.length;
    specIds.push(...block);
  });

  mkdirSync(outDir, { recursive: true });
  const arr = (name: string, type: string, values: number[]) =>
    `export const ${name}: StaticArray<${type}> = [\n${chunk(values).join(',\n')}\n];\n`;
  const header = '// GENERATED by scripts/gen-decoder.ts from emulator/table. Do not edit.\n\n';
  writeFileSync(join(outDir, 'table.ts'), header +
    Object.entries(RI).map(([k, v]) => `export const RI_${k}: u32 = ${v};`).join('\n') + '\n\n' +
    arr('ROW_INFO', 'u32', rowList.map(rowInfo)) +
    arr('ROW_HANDLER', 'u16', rowList.map((r) => handlerId.get(r.handler)!)) +
    arr('ROW_ARG', 'u8', rowList.map((r) => r.arg ?? 0)) +
    arr('ROW_SOURCE', 'u16', rowList.map((r) => OPCODE_TABLE.indexOf(r))) +
    arr('OP_FIRST', 'u16', opFirst) +
    arr('OP_COUNT', 'u8', opCount) +
    arr('SPEC_FIRST', 'u16', specFirst) +
    arr('SPEC_IDS', 'u16', specIds.length ? specIds : [0]));

  const byFile = new Map<string, string[]>();
  for (const h of handlers) {
    const f = handlerFiles.get(h);
    if (!f) fail(`handler ${h} not found`);
    byFile.set(f, [...(byFile.get(f) ?? []), h]);
  }
  for (const t of new Set(variants.map((v) => v.template.slice(0, -4)))) {
    const f = handlerFiles.get(t)!;
    byFile.set(f, [...(byFile.get(f) ?? []), t + 'Spec']);
  }
  const imports = [...byFile].map(([f, hs]) => `import { ${hs.join(', ')} } from '../ops/${f}';`).join('\n');
  const cases = [
    ...handlers.map((h, i) => `    case ${i}: ${h}(d); break;`),
    ...variants.map((v, i) => `    case ${handlers.length + i}: ${v.name}(d); break;`),
  ].join('\n');
  const variantFns = variants.map((v) =>
    `function ${v.name}(d: usize): void { ${v.template}(d, ${v.arg}, ${v.size}, ${v.mem}); }`).join('\n');
  writeFileSync(join(outDir, 'dispatch.ts'), header + imports + '\n\n' +
    `export const HANDLER_COUNT: u32 = ${handlers.length + variants.length};\n\n` +
    `// Specialised variants (see scripts/gen-decoder.ts).\n${variantFns}\n\n` +
    `/** Runs the handler of decoded instruction d. */\n` +
    `@inline export function dispatch(h: u32, d: usize): void {\n  switch (h) {\n${cases}\n    default: Invalid(d); break;\n  }\n}\n`);
  return { rows: rowList, handlers: [...handlers, ...variants.map((v) => v.name)] };
}

function chunk(values: number[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 16) lines.push('  ' + values.slice(i, i + 16).join(', '));
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, handlers } = generate();
  console.log(`gen-decoder: ${rows.length} rows, ${handlers.length} handlers`);
}

// The .symtab symbol table: look a symbol up by name (for checkers that
// read guest data by symbol) and turn an address into "<name+offset>" for
// messages.

import { ElfError, type ElfReader } from './elf-reader.js';
import type { ElfSection } from './elf.js';

const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SYM_SIZE = 24;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;

export interface ElfSymbol {
  name: string;
  /** Address after the load bias. */
  address: number;
  size: number;
  kind: 'function' | 'object' | 'other';
  global: boolean;
}

export class SymbolTable {
  private readonly byAddress: ElfSymbol[];
  private readonly byName = new Map<string, ElfSymbol>();

  constructor(symbols: ElfSymbol[]) {
    // Sorted by address; at equal addresses functions, then globals, come first.
    this.byAddress = [...symbols].sort(
      (a, b) => a.address - b.address || rank(a) - rank(b),
    );
    for (const s of this.byAddress) {
      const seen = this.byName.get(s.name);
      if (!seen || (!seen.global && s.global)) this.byName.set(s.name, s);
    }
  }

  get size(): number {
    return this.byAddress.length;
  }

  all(): readonly ElfSymbol[] {
    return this.byAddress;
  }

  /** The symbol called `name` (a global one if several share the name). */
  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }

  /**
   * The symbol that contains `address`: the nearest one at or below it,
   * provided the address is inside its size (symbols of size 0 extend to
   * the next symbol).
   */
  symbolize(address: number): { symbol: ElfSymbol; offset: number } | undefined {
    let lo = 0;
    let hi = this.byAddress.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.byAddress[mid].address <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    // Walk back to the first symbol at that address (the preferred one).
    const at = this.byAddress[found].address;
    while (found > 0 && this.byAddress[found - 1].address === at) found--;
    // Prefer a sized symbol at that address that actually contains the address.
    let next = found;
    while (next < this.byAddress.length && this.byAddress[next].address === at) next++;
    // An unsized symbol (a label such as _end) covers up to the next symbol; the last one only itself.
    const unsizedEnd = next < this.byAddress.length ? this.byAddress[next].address : at + 1;
    for (let i = found; i < next; i++) {
      const s = this.byAddress[i];
      if (s.size === 0 ? address < unsizedEnd : address < s.address + s.size) return { symbol: s, offset: address - s.address };
    }
    return undefined;
  }

  /** "main+20", or undefined when no symbol covers the address. */
  describe(address: number): string | undefined {
    const hit = this.symbolize(address);
    if (!hit) return undefined;
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+${hit.offset}`;
  }
}

function rank(s: ElfSymbol): number {
  return (s.kind === 'function' ? 0 : 2) + (s.global ? 0 : 1);
}

/** Reads the first SHT_SYMTAB section; a stripped binary gives an empty table. */
export function readSymbolTable(r: ElfReader, sections: ElfSection[], bias: number): SymbolTable {
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return new SymbolTable([]);
  const where = `symbol table (section ${symtab.index} ${symtab.name})`;
  if (symtab.entSize !== SYM_SIZE) throw new ElfError(`${where}: sh_entsize is ${symtab.entSize}, ELF64 symbols are ${SYM_SIZE} bytes`);
  if (symtab.link === 0 || symtab.link >= sections.length) throw new ElfError(`${where}: sh_link ${symtab.link} does not name its string table`);
  const strtab = sections[symtab.link];
  if (strtab.type !== SHT_STRTAB) throw new ElfError(`${where}: its string table (section ${strtab.index}) is not SHT_STRTAB`);
  const strEnd = strtab.offset + strtab.size;
  const count = Math.floor(symtab.size / SYM_SIZE);
  const out: ElfSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const o = symtab.offset + i * SYM_SIZE;
    const info = r.u8(o + 4, `symbol ${i} st_info`);
    const shndx = r.u16(o + 6, `symbol ${i} st_shndx`);
    const type = info & 0xf;
    const bind = info >> 4;
    if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue; // undefined, absolute or common
    if (type !== STT_NOTYPE && type !== STT_OBJECT && type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
    const nameOffset = r.u32(o, `symbol ${i} st_name`);
    if (nameOffset === 0) continue;
    const name = r.cString(strtab.offset + nameOffset, strEnd, `name of symbol ${i}`);
    if (name.startsWith('.L')) continue;
    const value = r.u64(o + 8, `symbol ${i} st_value`);
    const size = r.u64(o + 16, `symbol ${i} st_size`);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    out.push({
      name,
      address: Number(value) + bias,
      size: Number(size),
      kind: type === STT_FUNC || type === STT_GNU_IFUNC ? 'function' : type === STT_OBJECT ? 'object' : 'other',
      global: bind !== STB_LOCAL,
    });
  }
  return new SymbolTable(out);
}

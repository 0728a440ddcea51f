// Just enough ELF64 to find a section (System V gABI, "Sections").

export interface Section {
  name: string;
  addr: number;
  offset: number;
  size: number;
  flags: bigint;
}

const SHF_EXECINSTR = 0x4n;

export function sections(file: Uint8Array): Section[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46 || file[4] !== 2 || file[5] !== 1) {
    throw new Error('not a little-endian ELF64 file');
  }
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const header = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      nameOff: dv.getUint32(o, true),
      flags: dv.getBigUint64(o + 8, true),
      addr: Number(dv.getBigUint64(o + 0x10, true)),
      offset: Number(dv.getBigUint64(o + 0x18, true)),
      size: Number(dv.getBigUint64(o + 0x20, true)),
    };
  };
  const strtab = header(shstrndx);
  const name = (off: number) => {
    let end = strtab.offset + off;
    while (file[end] !== 0) end++;
    return Buffer.from(file.subarray(strtab.offset + off, end)).toString('latin1');
  };
  const out: Section[] = [];
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    out.push({ name: name(h.nameOff), addr: h.addr, offset: h.offset, size: h.size, flags: h.flags });
  }
  return out;
}

export function isExecutable(s: Section): boolean {
  return (s.flags & SHF_EXECINSTR) !== 0n;
}

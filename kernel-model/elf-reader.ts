// Bounds-checked little-endian reads over an ELF file's bytes. Every read
// past the end becomes an ElfError naming what was being read, so no byte
// input can make the parser throw anything else.

import { hex } from './layout.js';

/** A problem with an executable, in words a person can act on. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export class ElfReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Throws unless [offset, offset+length) lies inside the file. `what` names the structure for the message. */
  require(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new ElfError(`truncated: ${what} extends past end of file (offset ${hex(offset)} + ${length} > size ${hex(this.bytes.length)})`);
    }
  }

  u8(offset: number, what: string): number {
    this.require(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what: string): number {
    this.require(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.require(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, what: string): bigint {
    this.require(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }

  /** A u64 that must fit a JS number exactly (offsets, sizes, addresses below 2^53). */
  u64n(offset: number, what: string): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfError(`${what} is ${hex(v)}, far beyond any x86-64 user address or file size`);
    }
    return Number(v);
  }

  slice(offset: number, length: number, what: string): Uint8Array {
    this.require(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }

  /** A NUL-terminated string starting at offset and ending before `limit`. */
  cString(offset: number, limit: number, what: string): string {
    const end = Math.min(limit, this.bytes.length);
    if (offset < 0 || offset >= end) {
      throw new ElfError(`${what}: string offset ${hex(offset)} is outside its table (which ends at ${hex(end)})`);
    }
    let i = offset;
    while (i < end && this.bytes[i] !== 0) i++;
    if (i === end) throw new ElfError(`${what}: string at ${hex(offset)} is not NUL-terminated inside its table`);
    return latin1(this.bytes.subarray(offset, i));
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

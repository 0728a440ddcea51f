// Disassembly for people reading test failures (iced-x86, Intel syntax).

import { Decoder, DecoderOptions, Formatter, FormatterSyntax, Instruction } from 'iced-x86';

let formatter: Formatter | undefined;

/** One line per instruction: address, bytes, text. */
export function disassemble(code: Uint8Array, ip: number): string[] {
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const dec = new Decoder(64, code, DecoderOptions.None);
  dec.ip = BigInt(ip);
  const insn = new Instruction();
  const lines: string[] = [];
  try {
    while (dec.canDecode) {
      const pos = dec.position;
      dec.decodeOut(insn);
      const bytes = Buffer.from(code.subarray(pos, pos + insn.length)).toString('hex').replace(/(..)(?=.)/g, '$1 ');
      const text = insn.isInvalid ? '(invalid)' : formatter.format(insn);
      lines.push(`${(ip + pos).toString(16)}  ${bytes.padEnd(30)} ${text}`);
    }
  } finally {
    insn.free();
    dec.free();
  }
  return lines;
}

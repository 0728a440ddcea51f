// A tiny in-test Cpu: pages in a Map, protections per page, and a `run`
// that plays a script instead of executing instructions. Each script step
// may change the registers (like the instructions before a syscall would)
// and returns the stop. Enough to test the kernel model without the real
// CPU.

import { CpuWords, MemoryError, type AccessKind, type Cpu, type CpuContext, type DecodedInstruction, type StopInfo, StopReason } from '../../emulator/api.js';

const PAGE = 4096;

/** Registers in an ArrayBuffer that map() detaches, as wasm memory growth does to the real CPU's views. */
class FakeContext implements CpuContext {
  private regs = new ArrayBuffer(16 * 8);
  rip = 0n;
  rflags = 0x202n;
  fsBase = 0n;
  gsBase = 0n;
  readonly xmm = new Uint8Array(256);
  mxcsr = 0x1f80;
  readonly retired = 0n;

  get gpr(): BigUint64Array {
    return new BigUint64Array(this.regs);
  }

  detach(): void {
    this.regs = structuredClone(this.regs, { transfer: [this.regs] });
  }
}

export type ScriptStep = (ctx: CpuContext, cpu: FakeCpu) => Partial<StopInfo> & { reason: StopReason };

export class FakeCpu extends CpuWords implements Cpu {
  private readonly prot = new Map<number, number>();
  private readonly pages = new Map<number, Uint8Array>();
  readonly script: ScriptStep[] = [];
  runCalls = 0;

  private readonly contexts: FakeContext[] = [];

  createContext(): CpuContext {
    const ctx = new FakeContext();
    this.contexts.push(ctx);
    return ctx;
  }

  map(addr: number, length: number, prot: number): void {
    // Like wasm memory growing: register views taken before are detached.
    for (const c of this.contexts) c.detach();
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      this.prot.set(p, prot);
      this.pages.delete(p);
    }
  }

  unmap(addr: number, length: number): void {
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      this.prot.delete(p);
      this.pages.delete(p);
    }
  }

  protect(addr: number, length: number, prot: number): void {
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      if (this.prot.has(p)) this.prot.set(p, prot);
    }
  }

  pageProt(addr: number): number {
    return this.prot.get(Math.floor(addr / PAGE)) ?? -1;
  }

  accessible(addr: number, length: number, prot: number): boolean {
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      const have = this.prot.get(p);
      if (have === undefined || (have & prot) !== prot) return false;
    }
    return true;
  }

  private page(p: number, access: AccessKind): Uint8Array {
    if (!this.prot.has(p)) throw new MemoryError(p * PAGE, access);
    let page = this.pages.get(p);
    if (!page) {
      page = new Uint8Array(PAGE);
      this.pages.set(p, page);
    }
    return page;
  }

  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const a = addr + i;
      const page = this.page(Math.floor(a / PAGE), 'read');
      const off = a % PAGE;
      const n = Math.min(PAGE - off, length - i);
      out.set(page.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  write(addr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; ) {
      const a = addr + i;
      const page = this.page(Math.floor(a / PAGE), 'write');
      const off = a % PAGE;
      const n = Math.min(PAGE - off, data.length - i);
      page.set(data.subarray(i, i + n), off);
      i += n;
    }
  }

  decode(): DecodedInstruction {
    throw new Error('FakeCpu does not decode instructions');
  }

  run(ctx: CpuContext, maxInstructions: number): StopInfo {
    this.runCalls++;
    const step = this.script.shift();
    if (!step) return { reason: StopReason.Budget, retired: maxInstructions, rip: ctx.rip };
    const stop = step(ctx, this);
    if (stop.reason === StopReason.Syscall) {
      // What the syscall instruction does: rip past it, rcx = rip, r11 = rflags.
      ctx.rip += 2n;
      ctx.gpr[1] = ctx.rip;
      ctx.gpr[11] = ctx.rflags;
    }
    return { retired: 1, rip: ctx.rip, ...stop };
  }
}

/** A script step that makes system call nr with the given arguments. */
export function syscallStep(nr: number, ...args: (number | bigint)[]): ScriptStep {
  const regs = [7, 6, 2, 10, 8, 9]; // rdi rsi rdx r10 r8 r9
  return (ctx) => {
    ctx.gpr[0] = BigInt(nr);
    args.forEach((a, i) => (ctx.gpr[regs[i]] = BigInt.asUintN(64, BigInt(a))));
    return { reason: StopReason.Syscall };
  };
}

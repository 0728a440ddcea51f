// The machine's event stream: everything a person or a tool may want to see
// happen, as plain data (it serialises to JSON lines for --trace and crosses
// to a browser page unchanged). Every event also feeds the trace hash, a
// 64-bit FNV-1a over a canonical encoding: two runs with the same program,
// options and seed give the same hash, so determinism is one comparison.

export type MachineEvent =
  /** A vCPU ran a task's user code for `retired` instructions, starting at machine time `t`. */
  | { kind: 'run'; t: bigint; cpu: number; tid: number; retired: number; stop: string }
  /** The task on a vCPU changed (`from` = 0: the vCPU was idle; `to` = 0: it goes idle). */
  | { kind: 'switch'; t: bigint; cpu: number; from: number; to: number; reason: 'preempt' | 'block' | 'yield' | 'exit' | 'migrate' | 'wake' | 'stop' }
  | { kind: 'migrate'; t: bigint; tid: number; from: number; to: number; reason: 'balance' | 'affinity' | 'wake' | 'inject' }
  | { kind: 'syscall'; t: bigint; cpu: number; tid: number; nr: number; name: string; args: bigint[]; result: bigint | 'blocked' }
  | { kind: 'syscall-resume'; t: bigint; cpu: number; tid: number; nr: number; name: string; reason: string; result: bigint | 'blocked' }
  | { kind: 'signal-generate'; t: bigint; sig: number; target: number; scope: 'thread' | 'process'; code: number; from: number }
  | { kind: 'signal-deliver'; t: bigint; tid: number; sig: number; action: 'handler' | 'terminate' | 'core' | 'ignore' | 'stop' | 'continue'; handler?: bigint; rip: bigint }
  | { kind: 'sigreturn'; t: bigint; tid: number; rip: bigint }
  | { kind: 'task-new'; t: bigint; tid: number; pid: number; parent: number; cpu: number; thread: boolean }
  | { kind: 'task-exit'; t: bigint; tid: number; pid: number; code: number }
  | { kind: 'process-exit'; t: bigint; pid: number; status: number; description: string }
  | { kind: 'exec'; t: bigint; pid: number; path: string }
  | { kind: 'rseq'; t: bigint; tid: number; what: string; detail: string }
  | { kind: 'timer'; t: bigint; what: string };

export type EventKind = MachineEvent['kind'];

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** Incremental FNV-1a (64-bit) over 32-bit words, kept in two 32-bit halves for speed. */
export class TraceHash {
  private hi = Number(FNV_OFFSET >> 32n) >>> 0;
  private lo = Number(FNV_OFFSET & 0xffffffffn) >>> 0;

  /** Mixes one 32-bit word (byte by byte, as FNV-1a defines). */
  word(v: number): void {
    for (let k = 0; k < 4; k++) {
      this.lo = (this.lo ^ ((v >>> (k * 8)) & 0xff)) >>> 0;
      // (hi:lo) * FNV_PRIME, where FNV_PRIME = 2^40 + 0x1b3.
      const loMul = this.lo * 0x1b3;
      const carry = Math.floor(loMul / 0x100000000);
      const newLo = loMul >>> 0;
      const newHi = (Math.imul(this.hi, 0x1b3) + carry + ((this.lo << 8) >>> 0)) >>> 0;
      this.lo = newLo;
      this.hi = newHi;
    }
  }

  big(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.word(Number(u & 0xffffffffn));
    this.word(Number(u >> 32n));
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    this.word(0xffffffff);
  }

  get value(): bigint {
    return ((BigInt(this.hi) << 32n) | BigInt(this.lo)) & MASK64;
  }

  hex(): string {
    return this.value.toString(16).padStart(16, '0');
  }
}

/** Feeds one event into the hash in a canonical order of its fields. */
export function hashEvent(h: TraceHash, e: MachineEvent): void {
  h.text(e.kind);
  for (const [k, v] of Object.entries(e)) {
    if (k === 'kind') continue;
    if (typeof v === 'bigint') h.big(v);
    else if (typeof v === 'number') h.big(BigInt(Math.trunc(v)));
    else if (typeof v === 'string') h.text(v);
    else if (Array.isArray(v)) for (const x of v) h.big(BigInt(x));
  }
}

/** One JSON line for --trace (bigints as decimal strings, addresses stay exact). */
export function eventToJson(e: MachineEvent): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? (v > 0xffffn ? `0x${v.toString(16)}` : Number(v)) : v));
}

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
  /**
   * The rseq ABI checker found `rule` broken by thread `tid` at `address`
   * (the instruction, descriptor or field involved; `rip` is where the
   * thread was). `fatal` when --debug-rseq made it kill, as a
   * CONFIG_DEBUG_RSEQ kernel does.
   */
  | { kind: 'finding'; t: bigint; tid: number; rule: string; address: bigint; rip: bigint; detail: string; fatal: number }
  /** An injected event (injection.ts) was applied to thread `tid` at `rip`. */
  | { kind: 'inject'; t: bigint; tid: number; cpu: number; id: number; what: string; rip: bigint }
  | { kind: 'timer'; t: bigint; what: string };

const FNV_OFFSET = 0xcbf29ce484222325n;
const MASK64 = 0xffffffffffffffffn;

/**
 * Incremental FNV-1a (64-bit prime and offset) over 32-bit words: each word
 * is xored in whole, then the state is multiplied by the prime, so one
 * event costs a few multiplications. Kept in two 32-bit halves for speed.
 */
export class TraceHash {
  private hi = Number(FNV_OFFSET >> 32n) >>> 0;
  private lo = Number(FNV_OFFSET & 0xffffffffn) >>> 0;

  /** Mixes one 32-bit word. */
  word(v: number): void {
    const lo = (this.lo ^ (v >>> 0)) >>> 0;
    // (hi:lo) * FNV_PRIME mod 2^64, where FNV_PRIME = 2^40 + 0x1b3.
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    this.lo = loMul >>> 0;
    this.hi = (Math.imul(this.hi, 0x1b3) + carry + ((lo << 8) >>> 0)) >>> 0;
  }

  big(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.word(Number(u & 0xffffffffn));
    this.word(Number(u >> 32n));
  }

  /** A number that fits 53 bits, as two words (no BigInt on the hot path). */
  num(v: number): void {
    this.word(v >>> 0);
    this.word(Math.floor(v / 0x100000000) >>> 0);
  }

  text(s: string): void {
    this.word(stringCode(s));
  }

  get value(): bigint {
    return ((BigInt(this.hi) << 32n) | BigInt(this.lo)) & MASK64;
  }

  hex(): string {
    return this.value.toString(16).padStart(16, '0');
  }
}

/** A 32-bit FNV-1a of a string, cached: event kinds, syscall names and reasons repeat. */
const stringCodes = new Map<string, number>();
function stringCode(s: string): number {
  let c = stringCodes.get(s);
  if (c === undefined) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    c = h >>> 0;
    if (stringCodes.size < 4096) stringCodes.set(s, c);
  }
  return c;
}

/** Feeds one event into the hash: its kind, then its fields in their order of definition. */
export function hashEvent(h: TraceHash, e: MachineEvent): void {
  const fields = e as unknown as Record<string, unknown>;
  for (const k in fields) {
    const v = fields[k];
    if (typeof v === 'number') h.num(v);
    else if (typeof v === 'bigint') h.big(v);
    else if (typeof v === 'string') h.text(v);
    else if (Array.isArray(v)) for (const x of v) h.big(BigInt(x));
  }
}

/** One JSON line for --trace (bigints as decimal strings, addresses stay exact). */
export function eventToJson(e: MachineEvent): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? (v > 0xffffn ? `0x${v.toString(16)}` : Number(v)) : v));
}

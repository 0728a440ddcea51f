// `--inject SPEC`: the grammar of an injected event, resolved against the
// loaded program (its symbols and rseq critical sections).
//
//   SPEC     = ACTION "@" POINT
//   ACTION   = "preempt" | "migrate:" CPU | "signal:" SIGNAL [":process"]
//   POINT    = PLACE ["#" N]          the N-th time a thread reaches PLACE (default 1)
//            | "t" I "+" K            after K instructions of thread tI
//   PLACE    = SYMBOL ["+" OFFSET] | "0x" HEX | "cs" J ["+" OFFSET]
//
// SIGNAL is a name (USR1, SIGUSR1) or a number; tI is the I-th thread or
// process the run creates, t0 being the first thread (tid 1000 + I); csJ is
// the J-th critical section of the program's __rseq_cs_ptr_array, OFFSET
// bytes from its start_ip. Examples: preempt@percpu_add+0x12#3,
// migrate:2@t1+5000, signal:USR1@cs0+4.

import type { Injection, InjectAction, InjectPoint } from '../kernel-model/injection.js';
import type { Machine } from '../kernel-model/machine.js';
import { signalName } from '../kernel-model/signals.js';
import { UsageError } from './errors.js';

const FIRST_TID = 1000;

function number(text: string, what: string, spec: string): number {
  const n = text.startsWith('0x') ? parseInt(text.slice(2), 16) : Number(text);
  if (!Number.isInteger(n) || n < 0 || !/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`--inject ${spec}: ${what} '${text}' is not a number`);
  return n;
}

function parseSignal(text: string, spec: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const want = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
    for (let s = 1; s <= 64; s++) if (signalName(s) === want) return s;
  }
  throw new UsageError(`--inject ${spec}: no signal '${text}' (use a name like USR1 or a number 1-64)`);
}

function parseAction(text: string, spec: string): InjectAction {
  const [kind, arg, scope] = text.split(':');
  switch (kind) {
    case 'preempt':
      if (arg !== undefined) throw new UsageError(`--inject ${spec}: preempt takes no argument`);
      return { kind: 'preempt' };
    case 'migrate':
      if (arg === undefined) throw new UsageError(`--inject ${spec}: migrate needs a vCPU (migrate:2)`);
      return { kind: 'migrate', cpu: number(arg, 'vCPU', spec) };
    case 'signal':
      if (arg === undefined) throw new UsageError(`--inject ${spec}: signal needs a signal (signal:USR1)`);
      if (scope !== undefined && scope !== 'process' && scope !== 'thread') throw new UsageError(`--inject ${spec}: '${scope}' is neither thread nor process`);
      return { kind: 'signal', sig: parseSignal(arg, spec), scope: scope === 'process' ? 'process' : 'thread' };
    default:
      throw new UsageError(`--inject ${spec}: unknown action '${kind}' (preempt, migrate:CPU or signal:SIGNAL)`);
  }
}

function parsePoint(text: string, spec: string, m: Machine): InjectPoint {
  const thread = /^t(\d+)\+(\d+)$/.exec(text);
  if (thread) return { kind: 'instructions', tid: FIRST_TID + Number(thread[1]), count: Number(thread[2]) };
  const [place, hitText] = text.split('#');
  const hit = hitText === undefined ? 1 : number(hitText, 'hit count', spec);
  if (hit < 1) throw new UsageError(`--inject ${spec}: the hit count starts at 1`);
  const plus = place.indexOf('+');
  const base = plus < 0 ? place : place.slice(0, plus);
  const offset = plus < 0 ? 0 : number(place.slice(plus + 1), 'offset', spec);
  let address: number;
  const cs = /^cs(\d+)$/.exec(base);
  if (cs) {
    const sections = m.criticalSections;
    const j = Number(cs[1]);
    if (j >= sections.length) throw new UsageError(`--inject ${spec}: the program has ${sections.length} critical section${sections.length === 1 ? '' : 's'} (cs0..cs${sections.length - 1})`);
    address = sections[j].start + offset;
  } else if (/^0x[0-9a-f]+$/i.test(base)) {
    address = parseInt(base.slice(2), 16) + offset;
  } else {
    const sym = m.symbols.lookup(base);
    if (!sym) throw new UsageError(`--inject ${spec}: no symbol '${base}' in the program`);
    address = sym.address + offset;
  }
  return { kind: 'address', address, hit };
}

/** Parses and resolves one --inject spec against the machine's program. */
export function parseInjection(spec: string, m: Machine): Injection {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) throw new UsageError(`--inject ${spec}: expected ACTION@POINT, e.g. preempt@percpu_add+0x12#3`);
  return { action: parseAction(spec.slice(0, at), spec), at: parsePoint(spec.slice(at + 1), spec, m) };
}

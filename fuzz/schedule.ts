// A schedule: everything a run of the fuzzer decided, as plain data. The
// machine is deterministic given its seed, so a schedule is the seed the
// scheduler is reseeded with after start-up plus the injected events, each
// at an exact point (an instruction count of a thread, or the n-th time an
// address is reached). Replaying it on the same program and options gives
// the same run, event for event.
//
// The text encoding is short enough for a bug report or a URL:
//   s<seed hex>[.<event>]*   with events
//   p | m<cpu> | S<sig>[P][h]     preempt, migrate to vCPU cpu, signal (P: to the process;
//                                 h: only if handled then)
//   @<hex address>[#<hit>][t<tid>] | @i<tid>+<count>
// e.g. "s2a.p@401b3c#3.m1@i1001+1f40".

import type { Injection } from '../kernel-model/injection.js';

export interface Schedule {
  /** Seed of the scheduler after start-up (Machine.reseedScheduler). */
  seed: number;
  /** Injected events, in no particular order (each fires at its own point). */
  events: Injection[];
}

export class ScheduleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleFormatError';
  }
}

function encodeEvent(e: Injection): string {
  const a = e.action;
  const action = a.kind === 'preempt' ? 'p' : a.kind === 'migrate' ? `m${a.cpu}` : `S${a.sig}${a.scope === 'process' ? 'P' : ''}${a.ifHandled ? 'h' : ''}`;
  const p = e.at;
  const point = p.kind === 'instructions'
    ? `i${p.tid}+${p.count.toString(16)}`
    : `${p.address.toString(16)}${(p.hit ?? 1) !== 1 ? `#${p.hit}` : ''}${p.tid !== undefined ? `t${p.tid}` : ''}`;
  return `${action}@${point}`;
}

/** The compact text form of a schedule. */
export function encodeSchedule(s: Schedule): string {
  return [`s${s.seed.toString(16)}`, ...s.events.map(encodeEvent)].join('.');
}

const EVENT = /^(p|m(\d+)|S(\d+)(P?)(h?))@(?:i(\d+)\+([0-9a-f]+)|([0-9a-f]+)(?:#(\d+))?(?:t(\d+))?)$/;

/** Parses encodeSchedule's text; ScheduleFormatError says what is wrong. */
export function decodeSchedule(text: string): Schedule {
  const parts = text.trim().split('.');
  const head = /^s([0-9a-f]+)$/.exec(parts[0] ?? '');
  if (!head) throw new ScheduleFormatError(`schedule "${text}": expected it to start with s<seed in hex>`);
  const seed = parseInt(head[1], 16);
  const events = parts.slice(1).map((t, i): Injection => {
    const m = EVENT.exec(t);
    if (!m) throw new ScheduleFormatError(`schedule event ${i + 1} "${t}": expected ACTION@POINT (p, m<cpu> or S<sig>[P] at <hex address>[#hit][t<tid>] or i<tid>+<hex count>)`);
    const action: Injection['action'] = m[1] === 'p' ? { kind: 'preempt' }
      : m[2] !== undefined ? { kind: 'migrate', cpu: Number(m[2]) }
      : { kind: 'signal', sig: Number(m[3]), scope: m[4] ? 'process' : 'thread', ...(m[5] ? { ifHandled: true } : {}) };
    if (action.kind === 'signal' && (action.sig < 1 || action.sig > 64)) throw new ScheduleFormatError(`schedule event ${i + 1} "${t}": no signal ${action.sig}`);
    if (m[6] !== undefined) return { action, at: { kind: 'instructions', tid: Number(m[6]), count: parseInt(m[7], 16) } };
    const hit = m[9] !== undefined ? Number(m[9]) : 1;
    if (hit < 1) throw new ScheduleFormatError(`schedule event ${i + 1} "${t}": hit counts start at 1`);
    return { action, at: { kind: 'address', address: parseInt(m[8], 16), hit, ...(m[10] !== undefined ? { tid: Number(m[10]) } : {}) } };
  });
  return { seed, events };
}

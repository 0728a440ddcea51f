// Runs fixtures/sigframe-layout.c on the host kernel and parses what its
// signal handlers saw (see the fixture for the cases and keys).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gcc, STATIC } from './gcc.js';

export interface NativeCase {
  name: string;
  /** Numeric keys (frame, info, uc, fpregs, entry_*, live_*, alt_inside_*, magic2, sig). */
  n: Record<string, bigint>;
  /** The 440 bytes at the frame address (struct rt_sigframe). */
  frameBytes: Uint8Array;
  /** The first 512 bytes of the FPU area (the FXSAVE part of the XSAVE image). */
  fpBytes: Uint8Array;
}

export interface NativeRun {
  /** Top-level keys (pid, restorer, tgkill.pattern_rsp, overflow_onstack.status, ...). */
  top: Record<string, bigint>;
  cases: Map<string, NativeCase>;
}

const fromHex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

let cached: NativeRun | undefined;

export function runSigframeFixture(): NativeRun {
  if (cached) return cached;
  const exe = gcc('sigframe-layout', join(import.meta.dirname, 'fixtures', 'sigframe-layout.c'), STATIC).path;
  const r = spawnSync(exe, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sigframe-layout exited ${r.status} (signal ${r.signal}):\n${r.stderr}`);
  const top: Record<string, bigint> = {};
  const cases = new Map<string, NativeCase>();
  let cur: NativeCase | undefined;
  for (const line of r.stdout.split('\n')) {
    const [key, value] = line.split(' ');
    if (!key || key === 'end') continue;
    if (key === 'case') {
      cur = { name: value, n: {}, frameBytes: new Uint8Array(0), fpBytes: new Uint8Array(0) };
      cases.set(value, cur);
    } else if (!cur) top[key] = BigInt(value);
    else if (key === 'frame_bytes') cur.frameBytes = fromHex(value);
    else if (key === 'fp_bytes') cur.fpBytes = fromHex(value);
    else cur.n[key] = BigInt(value);
  }
  cached = { top, cases };
  return cached;
}

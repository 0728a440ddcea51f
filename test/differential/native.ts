// Builds test/differential/runner.c with gcc (once per source version, in
// node_modules/.cache/rseqlab) and runs batches of cases on the host CPU.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYOUT, type DiffCase, type MachineState } from './layout.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SOURCE = join(here, 'runner.c');

export class RunnerError extends Error {
  override name = 'RunnerError';
}

/** Compiles the runner if this version of runner.c has not been built yet; returns its path. */
export function buildRunner(): string {
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(root, 'node_modules', '.cache', 'rseqlab');
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, `diff-runner-${hash}`);
  if (existsSync(exe)) return exe;
  const tmp = `${exe}.${process.pid}.tmp`;
  const cc = process.env.CC || 'gcc';
  const r = spawnSync(cc, ['-O1', '-Wall', '-Wextra', '-o', tmp, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new RunnerError(`could not build the differential runner with '${cc}':\n${r.stderr || r.error?.message}`);
  }
  renameSync(tmp, exe); // atomic: parallel test files may race to build the same runner
  return exe;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The runner's input for one case (see the protocol at the top of runner.c). */
export function encodeCase(c: DiffCase): string {
  const lines = [
    `C ${hex(c.code)}`,
    `R ${c.gpr.map((v) => v.toString(16)).join(' ')}`,
    `F ${c.rflags.toString(16)}`,
    `M ${c.mxcsr.toString(16)}`,
  ];
  if (c.xmm.some((b) => b !== 0)) lines.push(`X ${hex(c.xmm)}`);
  if (c.dataSeed) lines.push(`D ${c.dataSeed.toString(16)}`);
  for (const p of c.patches) lines.push(`P ${p.addr.toString(16)} ${hex(p.bytes)}`);
  lines.push('E');
  return lines.join('\n') + '\n';
}

/** Parses the runner's records. */
export function parseRecords(out: string): MachineState[] {
  const records: MachineState[] = [];
  let cur: MachineState | undefined;
  for (const line of out.split('\n')) {
    if (line.length === 0) continue;
    const tag = line[0];
    const rest = line.slice(2);
    if (tag === 'S') {
      const [status, sig, code, addr, rip] = rest.split(' ');
      cur = {
        fault: status === 'ok' ? undefined : { signal: Number(sig), code: Number(code), address: BigInt('0x' + addr) },
        rip: BigInt('0x' + rip),
        gpr: [],
        rflags: 0n,
        mxcsr: 0,
        xmm: new Uint8Array(256),
        writes: new Map(),
      };
    } else if (!cur) {
      throw new RunnerError(`unexpected runner output before a record: ${line}`);
    } else if (tag === 'R') {
      cur.gpr = rest.split(' ').map((v) => BigInt('0x' + v));
    } else if (tag === 'F') {
      cur.rflags = BigInt('0x' + rest);
    } else if (tag === 'M') {
      cur.mxcsr = parseInt(rest, 16);
    } else if (tag === 'X') {
      cur.xmm = Uint8Array.from(Buffer.from(rest, 'hex'));
    } else if (tag === 'W') {
      const [a, bytes] = rest.split(' ');
      const addr = parseInt(a, 16);
      const b = Buffer.from(bytes, 'hex');
      for (let i = 0; i < b.length; i++) cur.writes.set(addr + i, b[i]);
    } else if (tag === '.') {
      records.push(cur);
      cur = undefined;
    }
  }
  return records;
}

function runOnce(exe: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new RunnerError(`the differential runner failed (exit ${code ?? signal}): ${Buffer.concat(err).toString()}`));
      } else {
        resolve(Buffer.concat(out).toString('latin1'));
      }
    });
    child.stdin.end(input);
  });
}

/**
 * Runs every case natively, in `parallel` runner processes; records come
 * back in case order.
 */
export async function runNative(cases: readonly DiffCase[], parallel = 2): Promise<MachineState[]> {
  const exe = buildRunner();
  const chunk = Math.ceil(cases.length / parallel) || 1;
  const jobs: Promise<MachineState[]>[] = [];
  for (let i = 0; i < cases.length; i += chunk) {
    const part = cases.slice(i, i + chunk);
    jobs.push(
      runOnce(exe, part.map(encodeCase).join('')).then((out) => {
        const recs = parseRecords(out);
        if (recs.length !== part.length) {
          throw new RunnerError(`the runner returned ${recs.length} records for ${part.length} cases`);
        }
        return recs;
      }),
    );
  }
  return (await Promise.all(jobs)).flat();
}

export { LAYOUT };

// The playground page (first slice of issue #13): pick a bundled program,
// give it arguments, a seed and a number of vCPUs, then step it one
// instruction at a time or run it to the end. Everything runs here in the
// browser: the same wasm CPU and kernel model as the CLI.

import { createCpu } from '../emulator/index.js';
import { Session, type SessionView } from './session.js';
import { disassembleOne } from './disassemble.js';

/** build/web/programs/index.json, written by scripts/build-web.mjs. */
interface ProgramIndex {
  programs: { name: string; size: number }[];
}

const DEFAULT_PROGRAM = 'rseq_counter';
/** Arguments the picker fills in for a program (others start with none). */
const DEFAULT_ARGS: Record<string, string> = { rseq_counter: '2 300' };

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const form = {
  program: element<HTMLSelectElement>('program'),
  args: element<HTMLInputElement>('args'),
  seed: element<HTMLInputElement>('seed'),
  cpus: element<HTMLInputElement>('cpus'),
  run: element<HTMLButtonElement>('run'),
  step: element<HTMLButtonElement>('step'),
  reset: element<HTMLButtonElement>('reset'),
};
const out = {
  status: element('status'),
  error: element('error'),
  retired: element('retired'),
  exit: element('exit-status'),
  hash: element('trace-hash'),
  stdout: element('stdout'),
  stderr: element('stderr'),
  vcpus: element<HTMLTableSectionElement>('vcpu-rows'),
};

const wasmUrl = new URL('emulator.wasm', document.baseURI);
const programBytes = new Map<string, Promise<Uint8Array>>();
/** The machine for the form's current choices (remade by every change and by Reset). */
let session: Promise<Session> | undefined;
/** Ignores clicks while one is being handled (a run holds the page until it returns). */
let busy = false;

function loadProgram(name: string): Promise<Uint8Array> {
  let p = programBytes.get(name);
  if (!p) {
    p = fetch(new URL(`programs/${encodeURIComponent(name)}`, document.baseURI)).then(async (res) => {
      if (!res.ok) throw new Error(`could not load the program ${name}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    });
    p.catch(() => programBytes.delete(name));
    programBytes.set(name, p);
  }
  return p;
}

function readInteger(input: HTMLInputElement, what: string, min: number, max: number): number {
  const n = input.value.trim() === '' ? NaN : Number(input.value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be a whole number from ${min} to ${max}, not '${input.value}'`);
  return n;
}

/** A new machine for the form's current choices, at its first instruction. */
async function newSession(): Promise<Session> {
  const name = form.program.value;
  const choice = {
    name,
    program: await loadProgram(name),
    args: form.args.value,
    seed: readInteger(form.seed, 'The seed', 0, 2 ** 32 - 1),
    cpus: readInteger(form.cpus, 'vCPUs', 1, 64),
  };
  return Session.create(await createCpu(wasmUrl), choice);
}

function hex(n: bigint): string {
  return '0x' + n.toString(16);
}

function statusText(v: SessionView): string {
  switch (v.kind) {
    case undefined: return 'Not started: press Step or Run to end.';
    case 'exited': return `Exited with status ${v.exitCode}.`;
    case 'killed': return `Killed (exit status ${v.exitCode})${v.message ? `: ${v.message}` : ''}.`;
    case 'budget-exhausted': return v.retired > 0 ? 'Stopped: press Step or Run to end to go on.' : 'Not started.';
    default: return `${v.kind}${v.message ? `: ${v.message}` : ''}`;
  }
}

async function show(s: Session | undefined): Promise<void> {
  const v = s?.view();
  out.status.textContent = v ? statusText(v) : 'Not started: press Step or Run to end.';
  out.retired.textContent = v ? String(v.retired) : '0';
  out.exit.textContent = v?.ended && v.exitCode !== null ? String(v.exitCode) : '—';
  out.hash.textContent = v ? v.traceHash : '—';
  out.stdout.textContent = v?.stdout ?? '';
  out.stderr.textContent = v?.stderr ?? '';
  out.stderr.hidden = !v?.stderr;
  form.step.disabled = form.run.disabled = v?.ended ?? false;
  const rows: HTMLTableRowElement[] = [];
  for (const c of v?.vcpus ?? []) {
    const tr = document.createElement('tr');
    const cells = [String(c.id), c.tid ? String(c.tid) : 'idle', c.rip !== undefined ? hex(c.rip) : '', c.symbol ?? '', '', c.queued.join(', ')];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.cells[2].className = 'rip';
    tr.cells[3].className = 'symbol';
    tr.cells[4].className = 'insn';
    rows.push(tr);
    if (s && c.rip !== undefined && !v!.ended) {
      instructionText(s, c.rip, c.pid).then((text) => { tr.cells[4].textContent = text; }, showError);
    }
  }
  out.vcpus.replaceChildren(...rows);
}

/** The instruction at rip, disassembled (capstone), or '' when its bytes are not readable. */
async function instructionText(s: Session, rip: bigint, pid: number): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = s.machine.readMemory(Number(rip), 15, pid);
  } catch {
    return '';
  }
  const d = await disassembleOne(bytes, Number(rip), new URL('capstone/', document.baseURI));
  return d?.text ?? '';
}

function showError(e: unknown): void {
  out.error.textContent = e instanceof Error ? e.message : String(e);
  out.error.hidden = false;
}

/** Runs one button's action: one at a time, errors shown on the page. */
async function act(what: (s: Session) => unknown): Promise<void> {
  if (busy) return;
  busy = true;
  out.error.hidden = true;
  try {
    const s = await (session ??= newSession());
    out.status.textContent = 'Running…';
    // Let the page paint the status before the run holds it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    what(s);
    await show(s);
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
  }
}

/** Starts a new machine for the form's choices and shows it at its first instruction. */
function reset(): void {
  const next = newSession();
  session = next;
  out.error.hidden = true;
  next.then(
    (s) => { if (session === next) return show(s); },
    (e) => { if (session === next) { void show(undefined); showError(e); } },
  );
}

async function main(): Promise<void> {
  const res = await fetch(new URL('programs/index.json', document.baseURI));
  if (!res.ok) throw new Error(`could not load the program list: HTTP ${res.status}`);
  const index = (await res.json()) as ProgramIndex;
  for (const p of index.programs) form.program.append(new Option(p.name, p.name, false, p.name === DEFAULT_PROGRAM));
  form.args.value = DEFAULT_ARGS[form.program.value] ?? '';
  form.program.addEventListener('change', () => {
    form.args.value = DEFAULT_ARGS[form.program.value] ?? '';
    reset();
  });
  for (const input of [form.args, form.seed, form.cpus]) input.addEventListener('input', reset);
  form.run.addEventListener('click', () => void act((s) => s.runToEnd()));
  form.step.addEventListener('click', () => void act((s) => s.step()));
  form.reset.addEventListener('click', reset);
  element('choices').addEventListener('submit', (e) => e.preventDefault());
  reset();
  await session;
  document.body.dataset.ready = 'true';
}

main().catch(showError);

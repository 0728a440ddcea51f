// The playground page (issue #13, first four slices): pick a bundled
// program, give it arguments, a seed and a number of vCPUs, then step it one
// instruction at a time or run it to the end; watch every thread's
// registers and the program's per-CPU data change; pick a thread to see its
// rseq area and code (section bands, every thread's place), run it to a
// critical section and preempt, migrate or
// signal it at exactly its current instruction, go Back to before the last
// action and choose again, watch a per-vCPU timeline, or walk a lesson
// (web/lessons.ts) with Next. Everything runs here in the
// browser: the same wasm CPU and kernel model as the CLI.

import { createCpu } from '../emulator/index.js';
import type { InjectAction } from '../kernel-model/injection.js';
import { Session, type SessionView, type ThreadView } from './session.js';
import { drawTimeline } from './timeline.js';
import { disassembleOne, loadDecoder } from './disassemble.js';
import type { CodeLine, SectionRole, ThreadMark } from './code-view.js';
import type { PerCpuDataView } from './percpu-data.js';
import { LESSONS, playAction, type Lesson } from './lessons.js';

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
  back: element<HTMLButtonElement>('back'),
  thread: element<HTMLSelectElement>('thread'),
  runToSection: element<HTMLButtonElement>('run-to-section'),
  stepThread: element<HTMLButtonElement>('step-thread'),
  preempt: element<HTMLButtonElement>('preempt'),
  migrate: element<HTMLButtonElement>('migrate'),
  migrateCpu: element<HTMLInputElement>('migrate-cpu'),
  signal: element<HTMLButtonElement>('signal'),
  signalNumber: element<HTMLInputElement>('signal-number'),
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
  rseqAddress: element('rseq-address'),
  rseqFields: element('rseq-fields'),
  code: element('code'),
  codeElsewhere: element('code-elsewhere'),
  registers: element<HTMLTableElement>('registers'),
  registersNone: element('registers-none'),
  perCpu: element('percpu'),
  events: element<HTMLOListElement>('events'),
  timeline: element('timeline'),
  timelineInfo: element('timeline-info'),
};
const lessonUi = {
  picker: element<HTMLSelectElement>('lesson'),
  next: element<HTMLButtonElement>('lesson-next'),
  text: element('lesson-text'),
  caption: element('lesson-caption'),
};

const wasmUrl = new URL('emulator.wasm', document.baseURI);
const programBytes = new Map<string, Promise<Uint8Array>>();
/** The machine for the form's current choices (remade by every change and by Reset). */
let session: Promise<Session> | undefined;
/** The thread the picker shows next (set by Run to next critical section). */
let pickThread: number | undefined;
/** Ignores clicks while one is being handled (a run holds the page until it returns). */
let busy = false;
/** The lesson being walked through, the index of its next step, and its thread (set by its run-to-section step). */
let lesson: Lesson | undefined;
let lessonStep = 0;
let lessonTid: number | undefined;
/** For each lesson step played: the session's backSteps and the lesson's thread before it (Back past it undoes the step). */
const lessonDone: { backSteps: number; tid: number | undefined }[] = [];

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
  if (s) syncLesson(s);
  out.status.textContent = v ? statusText(v) : 'Not started: press Step or Run to end.';
  out.retired.textContent = v ? String(v.retired) : '0';
  out.exit.textContent = v?.ended && v.exitCode !== null ? String(v.exitCode) : '—';
  out.hash.textContent = v ? v.traceHash : '—';
  out.stdout.textContent = v?.stdout ?? '';
  out.stderr.textContent = v?.stderr ?? '';
  out.stderr.hidden = !v?.stderr;
  form.step.disabled = form.run.disabled = v?.ended ?? false;
  form.back.disabled = !s || s.backSteps === 0;
  form.back.textContent = s && s.backSteps > 0 ? `Back (${s.backSteps})` : 'Back';
  out.timeline.replaceChildren(...(s ? [drawTimeline(s.timeline(), (text) => { out.timelineInfo.textContent = text; })] : []));
  out.timelineInfo.textContent = '';
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
  showThreads(s, v);
  showRegisters(v);
  showPerCpu(v?.perCpu);
}

/** One cell: text, and a class when it changed (the highlight the rseq area uses). */
function td(text: string, changed = false): HTMLTableCellElement {
  const c = document.createElement('td');
  c.textContent = text;
  if (changed) c.className = 'changed';
  return c;
}

function th(text: string, scope: 'col' | 'row'): HTMLTableCellElement {
  const c = document.createElement('th');
  c.textContent = text;
  c.scope = scope;
  return c;
}

/** Every live thread's registers, one column each, the selected thread's column marked; changed values highlighted. */
function showRegisters(v: SessionView | undefined): void {
  const threads = v?.threads ?? [];
  const head = document.createElement('tr');
  head.append(th('', 'col'), ...threads.map((t) => {
    const c = th(`t${t.tid} · vCPU ${t.cpu}`, 'col');
    if (String(t.tid) === form.thread.value) c.className = 'selected';
    return c;
  }));
  const rows = (threads[0]?.registers ?? []).map((r, i) => {
    const tr = document.createElement('tr');
    tr.dataset.register = r.name;
    tr.append(th(r.name, 'row'), ...threads.map((t) => {
      const reg = t.registers[i];
      const c = td(reg.value, reg.changed);
      c.dataset.tid = String(t.tid);
      if (reg.decoded !== undefined) c.title = reg.decoded || '(no flags set)';
      return c;
    }));
    if (r.decoded === undefined) return [tr];
    // rflags: the flags that are set, on a row of their own so the columns stay narrow.
    const flags = document.createElement('tr');
    flags.dataset.register = 'flags';
    flags.append(th('flags', 'row'), ...threads.map((t) => {
      const reg = t.registers[i];
      const c = td(reg.decoded || '—', reg.changed);
      c.dataset.tid = String(t.tid);
      return c;
    }));
    return [tr, flags];
  }).flat();
  out.registers.hidden = threads.length === 0;
  out.registersNone.hidden = !v || threads.length > 0;
  out.registers.tHead!.replaceChildren(head);
  out.registers.tBodies[0].replaceChildren(...rows);
}

/** The program's per-CPU arrays (web/percpu-data.ts), one table each, or why there are none. */
function showPerCpu(data: PerCpuDataView | undefined): void {
  if (!data) {
    out.perCpu.replaceChildren();
    return;
  }
  if (!data.described) {
    const p = document.createElement('p');
    p.textContent = data.reason;
    out.perCpu.replaceChildren(p);
    return;
  }
  out.perCpu.replaceChildren(...data.arrays.map((a) => {
    const wrap = document.createElement('div');
    wrap.className = 'scroll';
    if (a.problem) {
      const p = document.createElement('p');
      p.className = 'problem';
      p.textContent = a.problem;
      wrap.append(p);
      return wrap;
    }
    const table = document.createElement('table');
    table.dataset.symbol = a.symbol;
    table.createCaption().textContent = a.symbol;
    const about = document.createElement('p');
    about.className = 'note';
    about.textContent = `${a.type} ${a.symbol}[256] at ${hex(BigInt(a.address!))}, ${a.stride} bytes each, indexed by ${a.index === 'cpu' ? 'CPU' : 'mm_cid'}; the first ${a.rows.length} shown.`;
    wrap.append(about);
    const head = table.createTHead().insertRow();
    head.append(th(a.index === 'cpu' ? 'CPU' : 'mm_cid', 'col'), ...a.fields.map((f) => th(f, 'col')));
    const body = table.createTBody();
    for (const r of a.rows) {
      const tr = body.insertRow();
      tr.append(th(r.label, 'row'), ...r.values.map((x) => {
        const c = td(x.value, x.changed);
        c.dataset.cell = `${r.label}.${x.field}`;
        return c;
      }));
    }
    wrap.append(table);
    return wrap;
  }));
}

/** The thread picker, and the selected thread's rseq area, code and the event log. */
function showThreads(s: Session | undefined, v: SessionView | undefined): void {
  const threads = v?.threads ?? [];
  const keep = pickThread !== undefined ? String(pickThread) : form.thread.value;
  pickThread = undefined;
  form.thread.replaceChildren(...threads.map((t) => new Option(`${t.tid}${t.pid !== v!.threads[0]?.pid ? ` (process ${t.pid})` : ''} on vCPU ${t.cpu}, ${t.state}`, String(t.tid))));
  if (threads.some((t) => String(t.tid) === keep)) form.thread.value = keep;
  const t = threads.find((x) => String(x.tid) === form.thread.value);
  for (const b of [form.runToSection, form.stepThread, form.preempt, form.migrate, form.signal]) b.disabled = !t || (v?.ended ?? false);
  showRseq(t);
  out.events.replaceChildren(...(v?.events ?? []).map((e) => {
    const li = document.createElement('li');
    li.className = e.what;
    li.textContent = `#${e.retired} thread ${e.tid}: ${e.what}: ${e.detail}`;
    return li;
  }));
  out.code.replaceChildren();
  out.codeElsewhere.textContent = '';
  if (s && t && !v!.ended) showCode(s, t).catch(showError);
}

function showRseq(t: ThreadView | undefined): void {
  out.rseqAddress.textContent = t?.rseq ? `at ${hex(BigInt(t.rseq.address))}, ${t.rseq.length} bytes` : t ? '(not registered)' : '';
  const items: HTMLElement[] = [];
  for (const f of t?.rseq?.fields ?? []) {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = f.name;
    dd.textContent = f.value;
    dd.dataset.field = f.name;
    if (f.changed) dt.className = dd.className = 'changed';
    items.push(dt, dd);
  }
  out.rseqFields.replaceChildren(...items);
}

/** What each role is called at the end of a code line. */
const ROLE_TEXT: Record<SectionRole, string> = {
  start: 'section start', inside: '', commit: 'commit', 'post-commit': 'post-commit', abort: 'abort handler', signature: 'signature',
};

/** "← t1001 (vCPU 0)", and the state when the thread is not running. */
function markText(t: ThreadMark): string {
  return `← t${t.tid} (vCPU ${t.cpu}${t.state === 'running' ? '' : `, ${t.state}`})`;
}

function codeLine(line: CodeLine, selected: number): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.address = hex(BigInt(line.address));
  li.dataset.kind = line.kind;
  if (line.role) li.dataset.role = line.role;
  if (line.section !== undefined) li.dataset.section = String(line.section);
  const band = line.band !== undefined;
  li.className = [line.kind, band ? 'in-section' : '', line.role === 'abort' ? 'abort' : '', line.role ?? '', line.current ? 'current' : ''].filter(Boolean).join(' ');
  if (line.current) li.setAttribute('aria-current', 'true');
  if (line.kind === 'label' || line.kind === 'section') {
    li.textContent = line.text;
    return li;
  }
  const note = line.note ?? (line.role ? ROLE_TEXT[line.role] : '');
  li.textContent = `${line.current ? '→' : ' '} ${hex(BigInt(line.address))}  ${line.text}${line.target ? ` <${line.target}>` : ''}${note ? `   ; ${note}` : ''}`;
  for (const t of line.threads) {
    const span = document.createElement('span');
    span.className = t.tid === selected ? 'thread selected' : 'thread';
    span.dataset.tid = String(t.tid);
    span.textContent = `  ${markText(t)}`;
    li.append(span);
  }
  return li;
}

/** The disassembly around the thread's instruction (web/code-view.ts): section bands, labels, the signature as data, every thread's place. */
async function showCode(s: Session, t: ThreadView): Promise<void> {
  const decode = await loadDecoder(new URL('capstone/', document.baseURI));
  const view = s.codeView(t.tid, decode);
  // A later show() may have picked another thread while capstone loaded.
  if (!view || form.thread.value !== String(t.tid)) return;
  out.code.replaceChildren(...view.blocks.map((b) => {
    const block = document.createElement('div');
    block.className = 'code-block';
    const title = document.createElement('p');
    title.className = 'code-title';
    title.textContent = b.title;
    const ol = document.createElement('ol');
    ol.className = 'code';
    ol.setAttribute('aria-label', `code ${b.title}`);
    ol.append(...b.lines.map((l) => codeLine(l, t.tid)));
    block.append(title, ol);
    return block;
  }));
  out.codeElsewhere.textContent = view.elsewhere.length === 0 ? '' : `Elsewhere: ${view.elsewhere.map((m) => {
    const symbol = s.machine.kernel.tasks.get(m.tid)?.group.tgid === s.machine.process.tgid ? s.machine.symbols.describe(m.rip) : undefined;
    return `t${m.tid} (vCPU ${m.cpu}, ${m.state}) at ${hex(BigInt(m.rip))}${symbol ? ` ${symbol}` : ''}`;
  }).join('; ')}.`;
}

function selectedThread(): number {
  const tid = Number(form.thread.value);
  if (!Number.isInteger(tid) || tid <= 0) throw new Error('Pick a thread first');
  return tid;
}

function inject(action: () => InjectAction): void {
  void act((s) => s.injectHere(selectedThread(), action()));
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

/** The Next button and the caption for the lesson's progress. */
function showLesson(): void {
  const step = lesson?.steps[lessonStep];
  lessonUi.next.disabled = !step;
  lessonUi.next.textContent = step ? `Next: ${step.label}` : lesson ? 'Done' : 'Next';
  if (lesson && lessonStep === 0) lessonUi.caption.textContent = 'Press Next to begin.';
}

/** After Back: the lesson steps whose actions were undone are undone too (Next plays them again). */
function syncLesson(s: Session): void {
  if (!lesson) return;
  let undone = false;
  while (lessonDone.length > 0 && s.backSteps <= lessonDone[lessonDone.length - 1].backSteps) {
    lessonTid = lessonDone.pop()!.tid;
    lessonStep--;
    undone = true;
  }
  if (!undone) return;
  lessonUi.caption.textContent = lessonStep === 0 ? '' : `Step ${lessonStep} of ${lesson.steps.length}: ${lesson.steps[lessonStep - 1].caption}`;
  showLesson();
}

/** Opens the lesson picked (or none): its text, its program and choices, a new machine. */
function pickLesson(): void {
  lesson = LESSONS.find((l) => l.id === lessonUi.picker.value);
  lessonUi.text.replaceChildren(...(lesson?.text ?? []).map((t) => {
    const p = document.createElement('p');
    p.textContent = t;
    return p;
  }));
  lessonUi.caption.textContent = '';
  if (lesson) {
    form.program.value = lesson.program;
    form.args.value = lesson.args;
    form.seed.value = String(lesson.seed);
    form.cpus.value = String(lesson.cpus);
  }
  reset();
}

/** Plays the lesson's next step on the machine and says what to watch. */
function nextLessonStep(): void {
  const l = lesson;
  const step = l?.steps[lessonStep];
  if (!l || !step) return;
  void act((s) => {
    const before = { backSteps: s.backSteps, tid: lessonTid };
    lessonTid = playAction(s, step.action, lessonTid);
    lessonDone.push(before);
    if (lessonTid !== undefined) {
      form.thread.value = String(lessonTid);
      pickThread = lessonTid;
    }
    lessonStep++;
    lessonUi.caption.textContent = `Step ${lessonStep} of ${l.steps.length}: ${step.caption}`;
  }).then(showLesson);
}

/** Starts a new machine for the form's choices and shows it at its first instruction. */
function reset(): void {
  lessonStep = 0;
  lessonTid = undefined;
  lessonDone.length = 0;
  showLesson();
  void session?.then((s) => s.dispose(), () => undefined);
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
  form.back.addEventListener('click', () => void act((s) => s.back()));
  // "b" (outside text fields) is Back from anywhere on the page.
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement | null;
    if (e.key !== 'b' || e.ctrlKey || e.metaKey || e.altKey || t?.closest('input, select, textarea')) return;
    e.preventDefault();
    void act((s) => s.back());
  });
  form.thread.addEventListener('change', () => void session?.then((s) => show(s)));
  form.runToSection.addEventListener('click', () => void act((s) => {
    const tid = s.runToSection();
    if (tid === undefined) throw new Error('No thread reached a critical section');
    // show() keeps the picker on this thread.
    form.thread.value = String(tid);
    pickThread = tid;
  }));
  form.stepThread.addEventListener('click', () => void act((s) => s.stepThread(selectedThread())));
  form.preempt.addEventListener('click', () => inject(() => ({ kind: 'preempt' })));
  form.migrate.addEventListener('click', () => inject(() => ({ kind: 'migrate', cpu: readInteger(form.migrateCpu, 'The vCPU', 0, 63) })));
  form.signal.addEventListener('click', () => inject(() => ({ kind: 'signal', sig: readInteger(form.signalNumber, 'The signal', 1, 64), scope: 'thread' })));
  element('thread-controls').addEventListener('submit', (e) => e.preventDefault());
  element('lesson-form').addEventListener('submit', (e) => e.preventDefault());
  for (const l of LESSONS) lessonUi.picker.append(new Option(l.title, l.id));
  lessonUi.picker.addEventListener('change', pickLesson);
  lessonUi.next.addEventListener('click', nextLessonStep);
  element('choices').addEventListener('submit', (e) => e.preventDefault());
  reset();
  await session;
  document.body.dataset.ready = 'true';
}

main().catch(showError);

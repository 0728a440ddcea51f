// The playground page (issue #13): pick a bundled program (or your own ELF),
// give it arguments, a seed, a number of vCPUs and a kernel profile, then
// step it one instruction at a time or run it (pausable); pick a thread to
// see its registers, rseq area and code, run it to a critical section and
// preempt, migrate or signal it at exactly its current instruction, go Back
// or Forward, jump to a moment on the per-vCPU timeline, walk a lesson
// (web/lessons.ts) with Next, some of whose steps show the program's runs
// under several kernel profiles side by side (web/compare.ts), or write a
// critical section in assembly and run it (web/sandbox-panel.ts), or fuzz
// it in a Web Worker and open a failure, a replay file or a shared link in
// the stepper (web/fuzz-panel.ts).
// Everything runs here in the browser: the same wasm CPU and kernel model
// as the CLI.

import { createCpu } from '../emulator/index.js';
import type { InjectAction } from '../kernel-model/injection.js';
import { HISTORY_LIMIT, Session, splitArgs, type SessionView, type ThreadView } from './session.js';
import { drawLegend, drawTimeline, marksWindow, panWindow, zoomWindow, type TimeWindow } from './timeline.js';
import { disassembleOne, loadDecoder } from './disassemble.js';
import { codeBlocks, comparisonColumns, eventItems, perCpuTables, registerRows, rseqFieldItems } from './views-dom.js';
import { LESSONS, playAction, type Lesson } from './lessons.js';
import { runUnderKernels, type KernelRun } from './compare.js';
import { CURRENT_PROFILE, isKernelProfileName } from '../kernel-model/kernel-profile.js';
import { SANDBOX_ARGS, SANDBOX_PROGRAM } from './sandbox.js';
import { mountSandbox } from './sandbox-panel.js';
import { setupFuzzPanel, type FormChoices, type FuzzPanel } from './fuzz-panel.js';
import { wallMs } from './wall-clock.js';
import { hex } from '../kernel-model/layout.js';
import { element, readInteger } from './dom.js';

/** build/web/programs/index.json, written by scripts/build-web.mjs. */
interface ProgramIndex {
  programs: { name: string; size: number }[];
}

const DEFAULT_PROGRAM = 'rseq_counter';
/** Arguments the picker fills in for a program (others start with none). */
const DEFAULT_ARGS: Record<string, string> = { rseq_counter: '2 300' };

const form = {
  program: element<HTMLSelectElement>('program'),
  args: element<HTMLInputElement>('args'),
  seed: element<HTMLInputElement>('seed'),
  cpus: element<HTMLInputElement>('cpus'),
  kernel: element<HTMLSelectElement>('kernel'),
  run: element<HTMLButtonElement>('run'),
  step: element<HTMLButtonElement>('step'),
  reset: element<HTMLButtonElement>('reset'),
  back: element<HTMLButtonElement>('back'),
  forward: element<HTMLButtonElement>('forward'),
  ownElf: element<HTMLInputElement>('own-elf'),
  runToSectionEnd: element<HTMLButtonElement>('run-to-section-end'),
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
  /** What the last thread action came to (e.g. run to the end of the section: committed or aborted). */
  threadOutcome: element('thread-outcome'),
};
const lessonUi = {
  picker: element<HTMLSelectElement>('lesson'),
  next: element<HTMLButtonElement>('lesson-next'),
  text: element('lesson-text'),
  caption: element('lesson-caption'),
  compare: element('compare'),
  compareColumns: element('compare-columns'),
};

const wasmUrl = new URL('emulator.wasm', document.baseURI);
const programBytes = new Map<string, Promise<Uint8Array>>();
/** The machine for the form's current choices (remade by every change and by Reset). */
let session: Promise<Session> | undefined;
/** The assembly sandbox's patched harness: it replaces the bundled bytes of its name until the picker changes. */
let sandboxProgram: Uint8Array | undefined;
/** The thread the picker shows next (set by Run to next critical section). */
let pickThread: number | undefined;
/** The last action asked for: each runs after the one before, in the order asked (a key pressed during a step waits its turn, it is not lost). */
let turns: Promise<void> = Promise.resolve();
/** A run is going on (in slices, the page painting in between); pressing Run again sets pauseAsked. */
let running = false;
let pauseAsked = false;
/** How long one slice of a run may hold the page (ms) before it paints and looks at the Pause button. */
const RUN_SLICE_MS = 50;
/** The lesson being walked through, the index of its next step, and its thread (set by its run-to-section step). */
let lesson: Lesson | undefined;
let lessonStep = 0;
let lessonTid: number | undefined;
/**
 * For each lesson step played: the session's backSteps after it (Back to
 * fewer undoes the step; a comparison, which leaves the machine alone, is
 * undone with the step before it) and the lesson's thread before it.
 */
const lessonDone: { backSteps: number; tid: number | undefined; compare: boolean }[] = [];
/** The Fuzz section (set up once the program list is in). */
let fuzzPanel: FuzzPanel | undefined;
/** The program names the page bundles (programs/index.json). */
const bundled = new Set<string>();

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

/** A new machine for the form's current choices, at its first instruction. */
async function newSession(): Promise<Session> {
  const value = form.program.value;
  const name = value.startsWith('own:') ? value.slice(4) : value;
  const choice = {
    name,
    program: value === SANDBOX_PROGRAM && sandboxProgram ? sandboxProgram : await loadProgram(value),
    args: form.args.value,
    seed: readInteger(form.seed, 'The seed', 0, 2 ** 32 - 1),
    cpus: readInteger(form.cpus, 'vCPUs', 1, 64),
    kernel: kernelChoice(),
  };
  return Session.create(await createCpu(wasmUrl), choice);
}

function kernelChoice(): FormChoices['kernel'] {
  const k = form.kernel.value;
  if (!isKernelProfileName(k)) throw new Error(`no kernel profile '${k}'`);
  return k;
}

/** The form's choices, for the Fuzz section and share links. */
function formChoices(): FormChoices {
  return {
    name: form.program.value,
    args: splitArgs(form.args.value),
    seed: readInteger(form.seed, 'The seed', 0, 2 ** 32 - 1),
    cpus: readInteger(form.cpus, 'vCPUs', 1, 64),
    kernel: kernelChoice(),
  };
}

function setFormChoices(c: FormChoices): void {
  form.program.value = c.name;
  form.args.value = c.args.join(' ');
  form.seed.value = String(c.seed);
  form.cpus.value = String(c.cpus);
  form.kernel.value = c.kernel;
}

/** Puts a session made elsewhere (a fuzzer's failure, a replay, a link) in the stepper, as reset() puts a new one. */
async function openSession(s: Session): Promise<void> {
  timelineWindow = timelineFocus = undefined;
  clearLesson();
  const old = session;
  session = Promise.resolve(s);
  void old?.then((o) => { if (o !== s) o.dispose(); }, () => undefined);
  out.error.hidden = true;
  await show(s);
}

function statusText(v: SessionView): string {
  switch (v.kind) {
    case undefined: return 'Not started: press Step or Run.';
    case 'exited': return `Exited with status ${v.exitCode}.`;
    case 'killed': return `Killed by ${v.signal ?? 'a signal'} (exit status ${v.exitCode})${v.message ? `: ${v.message}` : ''}.`;
    case 'paused': return v.pausedAtEvent ? 'Paused at an event: press Step or Run to go on.' : 'Paused: press Run or r to go on.';
    case 'budget-exhausted': return v.retired > 0 ? 'Stopped: press Step or Run to go on.' : 'Not started.';
    default: return `${v.kind}${v.message ? `: ${v.message}` : ''}`;
  }
}

async function show(s: Session | undefined): Promise<void> {
  const v = s?.view();
  if (s) syncLesson(s);
  out.status.textContent = v ? statusText(v) : 'Not started: press Step or Run.';
  out.retired.textContent = v ? String(v.retired) : '0';
  out.exit.textContent = v?.ended && v.exitCode !== null ? String(v.exitCode) : '—';
  out.hash.textContent = v ? v.traceHash : '—';
  out.stdout.textContent = v?.stdout ?? '';
  out.stderr.textContent = v?.stderr ?? '';
  out.stderr.hidden = !v?.stderr;
  form.step.disabled = form.run.disabled = v?.ended ?? false;
  form.back.disabled = !s || s.backSteps === 0;
  form.back.textContent = s && s.backSteps > 0 ? `Back (${s.backSteps})` : 'Back';
  form.forward.disabled = !s || s.forwardSteps === 0;
  form.forward.textContent = s && s.forwardSteps > 0 ? `Forward (${s.forwardSteps})` : 'Forward';
  showTimeline(s);
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
  const threads = v?.threads ?? [];
  const registers = registerRows(threads, Number(form.thread.value));
  out.registers.hidden = threads.length === 0;
  out.registersNone.hidden = !v || threads.length > 0;
  out.registers.tHead!.replaceChildren(registers.head);
  out.registers.tBodies[0].replaceChildren(...registers.rows);
  out.perCpu.replaceChildren(...perCpuTables(v?.perCpu));
  if (s) fuzzPanel?.shown(s);
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
  form.runToSectionEnd.disabled = !t?.section || (v?.ended ?? false);
  showRseq(t);
  out.events.replaceChildren(...eventItems(v?.events ?? []));
  out.code.replaceChildren();
  out.codeElsewhere.textContent = '';
  if (s && t && !v!.ended) showCode(s, t).catch(showError);
}

function showRseq(t: ThreadView | undefined): void {
  out.rseqAddress.textContent = t?.rseq ? `at ${hex(t.rseq.address)}, ${t.rseq.length} bytes` : t ? '(not registered)' : '';
  out.rseqFields.replaceChildren(...rseqFieldItems(t?.rseq?.fields ?? []));
}

/** The disassembly around the thread's instruction (web/code-view.ts): section bands, labels, the signature as data, every thread's place. */
async function showCode(s: Session, t: ThreadView): Promise<void> {
  const decode = await loadDecoder(new URL('capstone/', document.baseURI));
  const view = s.codeView(t.tid, decode);
  // A later show() may have picked another thread while capstone loaded.
  if (!view || form.thread.value !== String(t.tid)) return;
  out.code.replaceChildren(...codeBlocks(view, t.tid));
  out.codeElsewhere.textContent = view.elsewhere.length === 0 ? '' : `Elsewhere: ${view.elsewhere.map((m) => {
    const symbol = s.machine.kernel.tasks.get(m.tid)?.group.tgid === s.machine.process.tgid ? s.machine.symbols.describe(m.rip) : undefined;
    return `t${m.tid} (vCPU ${m.cpu}, ${m.state}) at ${hex(m.rip)}${symbol ? ` ${symbol}` : ''}`;
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

/** Runs job after every action asked before it. */
function inTurn(job: () => Promise<void>): Promise<void> {
  const mine = turns.then(job);
  turns = mine.catch(() => undefined);
  return mine;
}

/** Runs one button's action in its turn, errors shown on the page. */
function act(what: (s: Session) => unknown | Promise<unknown>): Promise<void> {
  return inTurn(() => actNow(what));
}

async function actNow(what: (s: Session) => unknown | Promise<unknown>): Promise<void> {
  out.error.hidden = true;
  out.threadOutcome.textContent = '';
  try {
    const s = await (session ??= newSession());
    out.status.textContent = 'Running…';
    // Let the page paint the status before the run holds it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await what(s);
    await show(s);
  } catch (e) {
    showError(e);
  }
}

/**
 * Run / Pause: runs to the end in slices of RUN_SLICE_MS, painting the
 * count in between, until the program ends or Pause is pressed. The slices
 * cut no quantum (Session.run), so the trace is the one Run to end in Node makes.
 */
function runOrPause(): Promise<void> {
  if (running) {
    pauseAsked = true;
    return turns;
  }
  // Running from the moment it is asked for: Run pressed again before it starts pauses it at once.
  running = true;
  pauseAsked = false;
  return inTurn(runSlices);
}

async function runSlices(): Promise<void> {
  out.error.hidden = true;
  form.run.textContent = 'Pause';
  form.run.disabled = false;
  try {
    const s = await (session ??= newSession());
    for (;;) {
      out.status.textContent = `Running… (${s.machine.retired} instructions; press Pause or r to stop)`;
      out.retired.textContent = String(s.machine.retired);
      await new Promise((resolve) => setTimeout(resolve, 0));
      const until = wallMs() + RUN_SLICE_MS;
      const r = s.run(() => pauseAsked || wallMs() > until);
      if (r.kind !== 'paused' || pauseAsked) break;
    }
    await show(s);
  } catch (e) {
    showError(e);
  } finally {
    running = false;
    form.run.textContent = 'Run';
  }
}

/** The stretch of the timeline shown (undefined: the whole run, growing with it), and the time of the mark last focused or hovered (what Zoom in centres on). */
let timelineWindow: TimeWindow | undefined;
let timelineFocus: number | undefined;

function showTimeline(s: Session | undefined): void {
  out.timelineInfo.textContent = '';
  if (!s) {
    out.timeline.replaceChildren();
    return;
  }
  const tl = s.timeline();
  // A window past the end (after Back) shows what is left of it.
  const w = timelineWindow && timelineWindow.from < tl.end ? { from: timelineWindow.from, to: Math.min(timelineWindow.to, tl.end) } : undefined;
  const inform = (text: string, mark: { t: number }) => {
    out.timelineInfo.textContent = text;
    timelineFocus = mark.t;
  };
  out.timeline.replaceChildren(drawTimeline(tl, inform, jumpTo, out.timeline.clientWidth || undefined, w));
}

/** Zoom and pan: a new window from the current one (or the whole run) and the timeline's length. */
function zoomTimeline(next: (w: TimeWindow, end: number) => TimeWindow | undefined): void {
  void session?.then((s) => {
    const end = s.timeline().end;
    timelineWindow = next(timelineWindow ?? { from: 0, to: end }, end);
    showTimeline(s);
  }, () => undefined);
}

/** A click on the timeline: the machine as it was when vCPU cpu's clock reached t. */
function jumpTo(cpu: number, t: number): void {
  void act((s) => {
    if (!s.jumpTo(cpu, t)) throw new Error(`Nothing kept to go back to t=${t} on vCPU ${cpu} (Back keeps the last ${HISTORY_LIMIT} actions)`);
  });
}

/** A static x86-64 ELF the user picked or dropped: added to the picker as "<name> (yours)" and started. */
async function openOwnProgram(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const name = file.name.replace(/[^\w.+-]/g, '_') || 'program';
  const value = `own:${name}`;
  programBytes.set(value, Promise.resolve(bytes));
  if (!Array.from(form.program.options).some((o) => o.value === value)) form.program.append(new Option(`${name} (yours, ${bytes.length} bytes)`, value));
  form.program.value = value;
  form.args.value = '';
  reset();
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
  while (lessonDone.length > 0 && s.backSteps < lessonDone[lessonDone.length - 1].backSteps) {
    const done = lessonDone.pop()!;
    lessonTid = done.tid;
    if (done.compare) showComparison(undefined);
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
    form.kernel.value = lesson.kernel === undefined || lesson.kernel === 'current' ? CURRENT_PROFILE : lesson.kernel;
  }
  reset();
}

/** Plays the lesson's next step on the machine and says what to watch. */
function nextLessonStep(): void {
  const l = lesson;
  const step = l?.steps[lessonStep];
  if (!l || !step) return;
  void act(async (s) => {
    const tid = lessonTid;
    const action = step.action;
    if (action.kind === 'compare') {
      const choice = { name: l.program, program: await loadProgram(l.program), args: l.args, seed: l.seed, cpus: l.cpus };
      const runs = await runUnderKernels(() => createCpu(wasmUrl), choice, action.kernels);
      // Another lesson picked meanwhile: this one's comparison is stale.
      if (lesson !== l) return;
      showComparison(runs);
    } else {
      lessonTid = playAction(s, action, lessonTid);
    }
    lessonDone.push({ backSteps: s.backSteps, tid, compare: action.kind === 'compare' });
    if (lessonTid !== undefined) {
      form.thread.value = String(lessonTid);
      pickThread = lessonTid;
    }
    lessonStep++;
    lessonUi.caption.textContent = `Step ${lessonStep} of ${l.steps.length}: ${step.caption}`;
  }).then(showLesson);
}

/** A lesson's comparison under the lesson text (undefined hides it). */
function showComparison(runs: KernelRun[] | undefined): void {
  lessonUi.compare.hidden = !runs;
  lessonUi.compareColumns.replaceChildren(...comparisonColumns(runs ?? []));
}

/** The lesson starts over (a new machine is on the stepper). */
function clearLesson(): void {
  lessonStep = 0;
  lessonTid = undefined;
  lessonDone.length = 0;
  showComparison(undefined);
  showLesson();
}

/** Starts a new machine for the form's choices and shows it at its first instruction. */
function reset(): void {
  clearLesson();
  timelineWindow = timelineFocus = undefined;
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
  for (const p of index.programs) {
    form.program.append(new Option(p.name, p.name, false, p.name === DEFAULT_PROGRAM));
    bundled.add(p.name);
  }
  form.args.value = DEFAULT_ARGS[form.program.value] ?? '';
  form.program.addEventListener('change', () => {
    sandboxProgram = undefined;
    form.args.value = DEFAULT_ARGS[form.program.value] ?? '';
    reset();
  });
  for (const input of [form.args, form.seed, form.cpus]) input.addEventListener('input', reset);
  form.kernel.addEventListener('change', reset);
  form.reset.addEventListener('click', reset);
  // Each stepping control: its button and its one-letter key (outside text
  // fields; index.html lists them, aria-keyshortcuts on each). A key pressed
  // while an action runs waits its turn, so "n t p" typed quickly is three
  // actions, each on what the one before left.
  const controls: [string, HTMLButtonElement, () => void][] = [
    ['s', form.step, () => void act((s) => s.step())],
    ['r', form.run, () => void runOrPause()],
    ['b', form.back, () => void act((s) => s.back())],
    ['f', form.forward, () => void act((s) => s.forward())],
    ['n', form.runToSection, () => void act((s) => {
      const tid = s.runToSection();
      if (tid === undefined) throw new Error('No thread reached a critical section');
      // show() keeps the picker on this thread.
      form.thread.value = String(tid);
      pickThread = tid;
    })],
    ['t', form.stepThread, () => void act((s) => s.stepThread(selectedThread()))],
    ['e', form.runToSectionEnd, () => void act((s) => {
      const how = s.runToSectionEnd(selectedThread());
      out.threadOutcome.textContent = `Thread ${form.thread.value} left its section: ${how === 'committed' ? 'it reached post_commit_ip (committed)' : how === 'aborted' ? 'the kernel moved it to abort_ip (aborted)' : 'it ended'}.`;
    })],
    ['p', form.preempt, () => inject(() => ({ kind: 'preempt' }))],
    ['m', form.migrate, () => inject(() => ({ kind: 'migrate', cpu: readInteger(form.migrateCpu, 'The vCPU', 0, 63) }))],
    ['g', form.signal, () => inject(() => ({ kind: 'signal', sig: readInteger(form.signalNumber, 'The signal', 1, 64), scope: 'thread' }))],
  ];
  for (const [, button, action] of controls) button.addEventListener('click', action);
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement | null;
    const control = controls.find(([key]) => key === e.key);
    if (!control || e.ctrlKey || e.metaKey || e.altKey || t?.closest('input, select, textarea')) return;
    e.preventDefault();
    // Not the button's disabled state: an action still waiting its turn may change it.
    control[2]();
  });
  form.ownElf.addEventListener('change', () => {
    const file = form.ownElf.files?.[0];
    if (file) openOwnProgram(file).catch(showError);
  });
  // Drop a file anywhere on the page to run it.
  document.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    openOwnProgram(file).catch(showError);
  });
  form.thread.addEventListener('change', () => void session?.then((s) => show(s)));
  element('thread-controls').addEventListener('submit', (e) => e.preventDefault());
  element('lesson-form').addEventListener('submit', (e) => e.preventDefault());
  element('timeline-legend').replaceChildren(drawLegend());
  element('zoom-in').addEventListener('click', () => zoomTimeline((w, end) => zoomWindow(w, 0.5, timelineFocus !== undefined && timelineFocus >= w.from && timelineFocus <= w.to ? timelineFocus : (w.from + w.to) / 2, end)));
  element('zoom-out').addEventListener('click', () => zoomTimeline((w, end) => zoomWindow(w, 2, (w.from + w.to) / 2, end)));
  element('zoom-earlier').addEventListener('click', () => zoomTimeline((w, end) => panWindow(w, -0.5, end)));
  element('zoom-later').addEventListener('click', () => zoomTimeline((w, end) => panWindow(w, 0.5, end)));
  element('zoom-marks').addEventListener('click', () => void session?.then((s) => {
    timelineWindow = marksWindow(s.timeline());
    showTimeline(s);
  }, () => undefined));
  element('zoom-whole').addEventListener('click', () => zoomTimeline(() => undefined));
  for (const l of LESSONS) lessonUi.picker.append(new Option(l.title, l.id));
  lessonUi.picker.addEventListener('change', pickLesson);
  lessonUi.next.addEventListener('click', nextLessonStep);
  element('choices').addEventListener('submit', (e) => e.preventDefault());
  element('sandbox-form').addEventListener('submit', (e) => e.preventDefault());
  mountSandbox({
    loadHarness: () => loadProgram(SANDBOX_PROGRAM),
    open(program) {
      sandboxProgram = program;
      form.program.value = SANDBOX_PROGRAM;
      form.args.value = SANDBOX_ARGS;
      // A lesson in progress is about another program: leave it (this resets the machine).
      lessonUi.picker.value = '';
      pickLesson();
      return session!;
    },
  });
  fuzzPanel = setupFuzzPanel({
    choices: formChoices,
    setChoices: setFormChoices,
    reset,
    program: (name) => (bundled.has(name) ? loadProgram(name) : Promise.resolve(undefined)),
    open: openSession,
    current: async () => session?.catch(() => undefined),
    act,
    wasmUrl,
  });
  // A shared link names the run to open; without one, the form's choices.
  if (!(await fuzzPanel.openFromLocation())) reset();
  await session?.catch(() => undefined);
  document.body.dataset.ready = 'true';
}

main().catch(showError);

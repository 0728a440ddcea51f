// The page's Fuzz section (issue #13 item 6): fuzz the form's program on
// one or several Web Workers (web/page-campaign.ts; the same result for
// any number), under the form's kernel or as a kernel differential, with a
// progress bar and Stop (also during the shrink); open a failure in the stepper
// just before its first injected event fires (Session.fromSchedule); open
// a replay file `rseqlab fuzz` wrote; copy a link that restores the run
// in the stepper, and open such links. The stepper itself stays main.ts's:
// this module hands it Sessions through FuzzPanelHost.

import { createCpu } from '../emulator/index.js';
import type { CampaignSpec, FuzzFailure, KernelName } from '../fuzz/campaign.js';
import { CURRENT_PROFILE, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { decodeSchedule, encodeSchedule } from '../fuzz/schedule.js';
import { replyOf } from './fuzz-link.js';
import { FuzzWorkerPool } from './fuzz-pool.js';
import { PageCampaign, type PageCampaignEnd } from './page-campaign.js';
import { fuzzTargetOf, scheduledRunFromLink, scheduledRunFromReplay, sharedRunOf, type ScheduledRun } from './scheduled-run.js';
import { Session } from './session.js';
import { decodeSharedRun, encodeSharedRun, type SharedRun } from './share-link.js';
import { element, readInteger } from './dom.js';

/** The form's choices, as the stepper's form holds them. */
export interface FormChoices {
  name: string;
  args: string[];
  seed: number;
  cpus: number;
  kernel: SharedRun['kernel'];
}

/** What the panel needs from the page around it (main.ts). */
export interface FuzzPanelHost {
  /** The form's choices now (throws with a message for a bad field). */
  choices(): FormChoices;
  /** Puts choices into the form without starting a new machine. */
  setChoices(c: FormChoices): void;
  /** A new machine for the form's choices (what Reset does). */
  reset(): void;
  /** The bytes of a bundled program, or undefined when there is none of that name. */
  program(name: string): Promise<Uint8Array | undefined>;
  /** Shows this session in the stepper, replacing the one there. */
  open(s: Session): Promise<void>;
  /** The session in the stepper, if any. */
  current(): Promise<Session | undefined>;
  /** Runs an action on the stepper's session as its buttons do (one at a time, errors shown), then redraws it. */
  act(what: (s: Session) => unknown): Promise<void>;
  wasmUrl: URL;
}

/** The most workers the form accepts (each holds its own CPUs and the program's memory). */
const MAX_WORKERS = 8;

/** As many workers as the machine has cores, up to 4 (more rarely pays: the page and the browser need a core too). */
function defaultWorkers(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
}

/** What the status says of a shrink Stop ended (nothing for one that ran to its end). */
function notShrunk(f: FuzzFailure): string {
  if (!f.shrinkStopped) return '';
  return ` Stop ended its shrink after ${f.shrinkRuns} run${f.shrinkRuns === 1 ? '' : 's'}: the schedule shown (${f.events} event${f.events === 1 ? '' : 's'}) is the smallest failing one found by then, not fully shrunk (first: ${f.original}).`;
}

/**
 * The kernels of a campaign: the form's, then each one ticked that is
 * another profile ('current' is 7.0, so ticking 7.0 beside it adds
 * nothing). One kernel is a plain campaign; more are a differential.
 */
export function kernelsOf(form: SharedRun['kernel'], ticked: readonly KernelProfileName[]): KernelName[] {
  const profile = (k: KernelName) => (k === 'current' ? CURRENT_PROFILE : k);
  const out: KernelName[] = [form];
  for (const k of ticked) if (!out.some((o) => profile(o) === profile(k))) out.push(k);
  return out;
}

export interface FuzzPanel {
  /** Opens the run the page's URL hash names, if it names one; false when it names none or could not be opened (the error is shown). */
  openFromLocation(): Promise<boolean>;
  /** The stepper drew this session (after any action): the failure box says where its run is. */
  shown(s: Session): void;
}

export function setupFuzzPanel(host: FuzzPanelHost): FuzzPanel {
  const ui = {
    seed: element<HTMLInputElement>('fuzz-seed'),
    workers: element<HTMLInputElement>('fuzz-workers'),
    kernels: element<HTMLFieldSetElement>('fuzz-kernels'),
    difference: element('failure-difference'),
    schedules: element<HTMLInputElement>('fuzz-schedules'),
    start: element<HTMLButtonElement>('fuzz-start'),
    stop: element<HTMLButtonElement>('fuzz-stop'),
    progress: element<HTMLProgressElement>('fuzz-progress'),
    status: element('fuzz-status'),
    error: element('fuzz-error'),
    replayFile: element<HTMLInputElement>('replay-file'),
    copyLink: element<HTMLButtonElement>('copy-link'),
    shareUrl: element<HTMLInputElement>('share-url'),
    failure: element('failure'),
    summary: element('failure-summary'),
    schedule: element('failure-schedule'),
    explanation: element<HTMLOListElement>('failure-explanation'),
    download: element<HTMLAnchorElement>('failure-download'),
    pending: element('failure-pending'),
    runToInjection: element<HTMLButtonElement>('run-to-injection'),
  };
  const pool = new FuzzWorkerPool(new URL('fuzz-worker.js', document.baseURI));
  /** The campaign running, if any. */
  let campaign: PageCampaign | undefined;
  /** Its failure is being shrunk (Stop then ends the shrink). */
  let shrinking = false;
  /** The explanation asked for last (an answer to an older one is dropped). */
  let explanation = 0;
  let downloadUrl: string | undefined;
  ui.workers.value = String(defaultWorkers());

  const showError = (e: unknown) => {
    ui.error.textContent = e instanceof Error ? e.message : String(e);
    ui.error.hidden = false;
  };

  /** A late explanation must not overwrite what the page opened since. */
  const dropExplanation = () => {
    explanation++;
  };

  /** The failure's box: summary, schedule, explanation, the replay file to download. */
  const showFailure = (summary: string, schedule: string, explanation: readonly string[], replay?: object, fileName?: string) => {
    ui.summary.textContent = summary;
    ui.schedule.textContent = schedule;
    ui.explanation.replaceChildren(...explanation.map((line) => {
      const li = document.createElement('li');
      li.textContent = line;
      return li;
    }));
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = undefined;
    ui.download.hidden = !replay;
    if (replay) {
      downloadUrl = URL.createObjectURL(new Blob([JSON.stringify(replay, null, 2) + '\n'], { type: 'application/json' }));
      ui.download.href = downloadUrl;
      ui.download.download = fileName ?? 'rseqlab.replay.json';
    }
    ui.failure.hidden = false;
  };

  /** What the failure box says the stepper is at: the pending event, or that it has fired. */
  const showPending = (s: Session) => {
    const pending = s.pendingInjections();
    ui.pending.textContent = !s.scheduleOrigin
      ? ''
      : pending.length > 0
        ? `Still to be injected: ${pending.join('; ')}. “Run to the injected event” runs until it is applied; then Step or “Step this thread” shows what rseq does. Run to end ends the run as the fuzzer ran it (after single steps the threads interleave differently).`
        : 'The injected events have fired: step on to watch what rseq does, or Run to end.';
    ui.runToInjection.disabled = !s.scheduleOrigin || pending.length === 0 || s.ended;
    ui.runToInjection.hidden = !s.scheduleOrigin;
  };

  /** Opens a scheduled run in the stepper, with the form showing its choices. */
  const openRun = async (run: ScheduledRun, seed: number): Promise<Session> => {
    const s = Session.fromSchedule(await createCpu(host.wasmUrl), run.name, run.target, run.schedule);
    host.setChoices({ name: run.name, args: run.target.args, seed, cpus: run.target.cpus, kernel: run.target.kernel });
    await host.open(s);
    return s;
  };

  /** Explains a run opened from a file or a link (in a worker: the Runner's run of it). */
  const explainInWorker = (run: ScheduledRun, fileName?: string, replay?: object) => {
    dropExplanation();
    const code = encodeSchedule(run.schedule);
    showFailure(run.expect ? `${run.expect.summary} (as found)` : 'Running the schedule…', code, [], replay, fileName);
    const asked = ++explanation;
    void replyOf(pool.take(1)[0].ask({ type: 'explain', target: run.target, schedule: code, wasm: host.wasmUrl.href }).answer, 'explained').then((m) => {
      if (asked !== explanation) return;
      const summary = m.failure ?? 'This schedule does not fail with the page\'s program.';
      showFailure(summary, code, [...m.explanation, `trace hash of the whole run: ${m.traceHash} (Run to end from the stepper gives the same)`], replay, fileName);
    }, (e: unknown) => {
      if (asked === explanation) showError(e);
    });
  };

  const fuzz = async () => {
    ui.error.hidden = true;
    let spec: CampaignSpec;
    try {
      const c = host.choices();
      const program = await host.program(c.name);
      if (!program) throw new Error(`the page has no program called ${c.name}`);
      spec = {
        target: fuzzTargetOf(c.name, program, { args: c.args, cpus: c.cpus, kernel: c.kernel, debugRseq: false }),
        kernels: kernelsOf(c.kernel, Array.from(ui.kernels.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked'), (b) => b.value as KernelProfileName)),
        seed: readInteger(ui.seed, 'The campaign seed', 0, 2 ** 32 - 1),
        schedules: readInteger(ui.schedules, 'Schedules', 1, 1_000_000),
      };
    } catch (e) {
      showError(e);
      return;
    }
    let workers: number;
    try {
      workers = PageCampaign.workersFor(spec, readInteger(ui.workers, 'Workers', 1, MAX_WORKERS));
    } catch (e) {
      showError(e);
      return;
    }
    const total = spec.schedules!;
    const name = host.choices().name;
    dropExplanation();
    ui.start.disabled = true;
    ui.stop.disabled = false;
    ui.failure.hidden = true;
    ui.difference.hidden = true;
    ui.progress.max = total;
    ui.progress.value = 0;
    ui.status.textContent = `Profiling ${name} in ${workers} worker${workers === 1 ? '' : 's'}…`;
    const running = new PageCampaign(spec, host.wasmUrl.href, {
      started: (header, n) => {
        ui.status.textContent = `0 of ${total} schedules on ${n} worker${n === 1 ? '' : 's'}${header.staticFindings.length > 0 ? ` (static rseq ABI findings: ${header.staticFindings.join('; ')})` : ''}`;
      },
      progress: (p) => {
        ui.progress.value = p.schedules;
        if (ui.stop.disabled) return;
        ui.status.textContent = `${p.schedules} of ${total} schedules, ${p.failures} failure${p.failures === 1 ? '' : 's'}, ${p.perSecond.toFixed(1)} schedules/s, covered ${p.covered} of ${p.coverable} points`;
      },
      shrinking: (k) => {
        shrinking = true;
        // Stop stays usable: a long run's shrink can take a while, and what it found so far already fails.
        ui.stop.disabled = false;
        ui.status.textContent = `Schedule ${k} failed: shrinking it (fewest events, shortest run)… Stop ends the shrink with the smallest failing schedule found so far.`;
      },
    });
    campaign = running;
    shrinking = false;
    try {
      const end = await running.run(pool.take(workers));
      campaign = undefined;
      ui.start.disabled = false;
      ui.stop.disabled = true;
      await done(spec, end);
    } catch (e) {
      showError(e);
      ui.status.textContent = 'The fuzzer stopped with an error.';
    } finally {
      if (campaign === running) campaign = undefined;
      ui.start.disabled = false;
      ui.stop.disabled = true;
    }
  };

  /** The campaign's end: a line of numbers, and a failure opened in the stepper. */
  const done = async (spec: CampaignSpec, { result: r, stopped, ms, workers }: PageCampaignEnd) => {
    ui.progress.value = r.schedules;
    // For tools reading the page (bench/web-fuzz.ts): the figures unrounded.
    Object.assign(ui.status.dataset, { schedules: String(r.schedules), ms: String(ms), covered: String(r.coverage.covered), workers: String(workers), failure: r.failure ? String(r.failure.k) : '' });
    const took = ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
    const rate = `${r.schedules} schedule${r.schedules === 1 ? '' : 's'} in ${took} on ${workers} worker${workers === 1 ? '' : 's'} (${(r.schedules / Math.max(ms / 1000, 1e-3)).toFixed(1)} schedules/s)`;
    const covered = `covered ${r.coverage.covered} of ${r.coverage.coverable} points`;
    const under = r.kernels.length > 1 ? ` under each of kernels ${r.kernels.join(', ')}` : '';
    const f = r.failure;
    if (!f) {
      ui.status.textContent = `${stopped ? 'Stopped' : 'Done'}: no failure in ${rate}${under}; ${covered}.`;
      return;
    }
    const program = r.program.path.replace(/^\//, '');
    // With several kernels the failure is shown, and opened, under the first where it fails (as the CLI reports it).
    const kernel = (f.kernel ?? spec.target.kernel) as SharedRun['kernel'];
    const inKernel = r.kernels.length > 1 ? ` under kernel ${kernel}` : '';
    ui.status.textContent = f.k < 0
      ? `Failed with no injected event${inKernel}${under ? ` (run${under})` : ''}: ${f.summary}. Opened in the stepper${inKernel}.`
      : `Failure at schedule ${f.k} of seed ${r.seed} after ${rate}${under}; ${covered}.${notShrunk(f)} Opened in the stepper${inKernel}.`;
    showFailure(f.shrinkStopped ? `${f.summary} (not fully shrunk)` : f.summary, f.schedule, f.explanation, f.replay, `${program}.seed${r.seed}.k${f.k}${r.kernels.length > 1 ? `.kernel${kernel}` : ''}.replay.json`);
    ui.difference.textContent = f.difference ? `Kernels differ: ${f.difference}` : '';
    ui.difference.hidden = !f.difference;
    try {
      await openRun({ name: program, target: { ...spec.target, kernel }, schedule: decodeSchedule(f.schedule) }, host.choices().seed);
    } catch (e) {
      showError(e);
    }
  };

  const stop = () => {
    if (!campaign) return;
    campaign.stop();
    ui.stop.disabled = true;
    ui.status.textContent = shrinking ? 'Stopping the shrink: the smallest failing schedule found so far opens next…' : 'Stopping after the schedules running now…';
  };

  const loadReplay = async () => {
    const file = ui.replayFile.files?.[0];
    if (!file) return;
    ui.error.hidden = true;
    try {
      const text = await file.text();
      const run = await scheduledRunFromReplay(text, host.program);
      await openRun(run, host.choices().seed);
      ui.status.textContent = `Opened ${file.name}: ${run.name}, schedule ${encodeSchedule(run.schedule)}.`;
      explainInWorker(run, file.name, JSON.parse(text) as object);
    } catch (e) {
      // The stepper and the form are as they were: nothing is opened until the file checks out.
      showError(e);
    } finally {
      // The same file chosen again opens again.
      ui.replayFile.value = '';
    }
  };

  /** The link of the run in the stepper: its schedule when it has one, else the form's choices. */
  const linkNow = async (): Promise<string> => {
    const s = await host.current();
    const c = host.choices();
    const origin = s?.scheduleOrigin;
    const shared: SharedRun = origin
      ? sharedRunOf({ name: s!.choice.name, target: origin.target }, encodeSchedule(origin.schedule), c.seed)
      : { program: c.name, args: c.args, seed: c.seed, cpus: c.cpus, kernel: c.kernel, debugRseq: false };
    return new URL(encodeSharedRun(shared), document.baseURI).href;
  };

  const copyLink = async () => {
    ui.error.hidden = true;
    try {
      const link = await linkNow();
      ui.shareUrl.value = link;
      ui.shareUrl.hidden = false;
      history.replaceState(null, '', link);
      try {
        await navigator.clipboard.writeText(link);
        ui.status.textContent = 'Link copied: opening it restores this run.';
      } catch {
        // No clipboard (permission, an insecure origin): the link is shown, selected, to copy by hand.
        ui.shareUrl.select();
        ui.status.textContent = 'The clipboard is not available here: copy the link shown.';
      }
    } catch (e) {
      showError(e);
    }
  };

  const openFromLocation = async (): Promise<boolean> => {
    let shared: SharedRun | undefined;
    try {
      shared = decodeSharedRun(location.hash);
    } catch (e) {
      showError(e);
      return false;
    }
    if (!shared) return false;
    ui.error.hidden = true;
    const c: FormChoices = { name: shared.program, args: shared.args, seed: shared.seed, cpus: shared.cpus, kernel: shared.kernel };
    if (shared.schedule === undefined) {
      if (!(await host.program(shared.program).catch(() => undefined))) {
        showError(new Error(`The link names ${JSON.stringify(shared.program)}, and the page has no program of that name.`));
        return false;
      }
      host.setChoices(c);
      host.reset();
      return true;
    }
    try {
      const run = await scheduledRunFromLink({ ...shared, schedule: shared.schedule }, host.program);
      await openRun(run, shared.seed);
      ui.status.textContent = `Opened the linked run: ${run.name}, schedule ${shared.schedule}.`;
      explainInWorker(run);
      return true;
    } catch (e) {
      showError(e);
      return false;
    }
  };

  ui.start.addEventListener('click', () => void fuzz());
  ui.stop.addEventListener('click', stop);
  ui.replayFile.addEventListener('change', () => void loadReplay());
  ui.copyLink.addEventListener('click', () => void copyLink());
  ui.runToInjection.addEventListener('click', () => void host.act((s) => s.runToInjection()));
  element('fuzz-form').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => void openFromLocation());
  return { openFromLocation, shown: showPending };
}

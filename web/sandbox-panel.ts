// The assembly sandbox on the page (issue #13 item 8): a <details> panel
// with the critical section's text (web/sandbox.ts DEFAULT_SECTION to start
// with) and "Assemble and run", which assembles it into the harness
// (rseq_sandbox) and hands the patched file to the page, which opens it as
// the current program: stepping, injecting and Back work as for any other.
// Keystone (4 MB of wasm) is fetched when the panel is first opened, not
// with the page.

import { loadAssembler } from './keystone.js';
import { DEFAULT_SECTION, SANDBOX_PROGRAM, SandboxError, buildSandbox, type Assembler, type SandboxBuild } from './sandbox.js';
import { hex } from '../kernel-model/layout.js';
import { element } from './dom.js';

export interface SandboxHost {
  /** The harness's bytes (build/web/programs/rseq_sandbox). */
  loadHarness(): Promise<Uint8Array>;
  /** Makes the patched harness the page's program and starts a machine for it. */
  open(program: Uint8Array): Promise<unknown>;
}


/** What the message says after a successful assembly. */
function builtText(b: SandboxBuild): string {
  return `Assembled ${b.used} of ${b.area.size} bytes at ${hex(b.area.address)}: start_ip ${hex(b.labels.start)}, ` +
    `post_commit_ip ${hex(b.labels.post_commit)} (post_commit_offset ${b.labels.post_commit - b.labels.start}), abort_ip ${hex(b.labels.abort)}. ` +
    `${SANDBOX_PROGRAM} now runs your section: Step, Run to end, or run to it and preempt it.`;
}

/** Selects line (1-based) of the text area, so the error's line is where the caret is. */
function selectLine(text: HTMLTextAreaElement, line: number): void {
  const lines = text.value.split('\n');
  const from = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(from, from + (lines[line - 1]?.length ?? 0));
}

export function mountSandbox(host: SandboxHost): void {
  const panel = element<HTMLDetailsElement>('sandbox');
  const text = element<HTMLTextAreaElement>('sandbox-text');
  const run = element<HTMLButtonElement>('sandbox-run');
  const restore = element<HTMLButtonElement>('sandbox-default');
  const message = element('sandbox-message');
  let assembler: Promise<Assembler> | undefined;

  const say = (what: string, kind: 'info' | 'error') => {
    message.textContent = what;
    message.className = kind;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  };

  panel.addEventListener('toggle', () => {
    if (!panel.open || assembler) return;
    if (text.value === '') text.value = DEFAULT_SECTION;
    run.disabled = true;
    say('Loading the assembler (keystone)…', 'info');
    const loading = loadAssembler(new URL('keystone/', document.baseURI));
    assembler = loading;
    loading.then(
      () => { run.disabled = false; say('Ready: edit the section, then Assemble and run.', 'info'); },
      (e) => { assembler = undefined; say(`Could not load the assembler: ${e instanceof Error ? e.message : String(e)}. Close and open the panel to try again.`, 'error'); },
    );
  });

  restore.addEventListener('click', () => {
    text.value = DEFAULT_SECTION;
    say('The default (correct) section is back.', 'info');
  });

  run.addEventListener('click', async () => {
    if (!assembler || run.disabled) return;
    run.disabled = true;
    try {
      const built = buildSandbox(await assembler, await host.loadHarness(), text.value);
      await host.open(built.program);
      say(builtText(built), 'info');
    } catch (e) {
      if (e instanceof SandboxError && e.line !== undefined) selectLine(text, e.line);
      say(e instanceof SandboxError ? `Not assembled: ${e.message}` : `Could not run it: ${e instanceof Error ? e.message : String(e)}`, 'error');
    } finally {
      run.disabled = false;
    }
  });
}

// The DOM for the plain data the Session (and compare.ts) describe: the
// registers and per-CPU tables, the rseq area's fields, the event log, the
// code view's blocks and a lesson's side-by-side comparison. Each function
// returns elements for main.ts to put in place; none reads the page.

import type { CodeLine, CodeView, SectionRole, ThreadMark } from './code-view.js';
import { endingText, outputLines, type KernelRun } from './compare.js';
import type { PerCpuDataView } from './percpu-data.js';
import type { LogEntry, RseqFieldView, ThreadView } from './session.js';
import { hex } from '../kernel-model/layout.js';

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
export function registerRows(threads: readonly ThreadView[], selected: number): { head: HTMLTableRowElement; rows: HTMLTableRowElement[] } {
  const head = document.createElement('tr');
  head.append(th('', 'col'), ...threads.map((t) => {
    const c = th(`t${t.tid} · vCPU ${t.cpu}`, 'col');
    if (t.tid === selected) c.className = 'selected';
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
  return { head, rows };
}

/** The program's per-CPU arrays (web/percpu-data.ts), one table each, or why there are none. */
export function perCpuTables(data: PerCpuDataView | undefined): HTMLElement[] {
  if (!data) return [];
  if (!data.described) {
    const p = document.createElement('p');
    p.textContent = data.reason;
    return [p];
  }
  return data.arrays.map((a) => {
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
    about.textContent = `${a.type} ${a.symbol}[256] at ${hex(a.address!)}, ${a.stride} bytes each, indexed by ${a.index === 'cpu' ? 'CPU' : 'mm_cid'}; the first ${a.rows.length} shown.`;
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
  });
}

/** The rseq area's fields as dt/dd pairs, changed ones highlighted. */
export function rseqFieldItems(fields: readonly RseqFieldView[]): HTMLElement[] {
  return fields.flatMap((f) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = f.name;
    dd.textContent = f.value;
    dd.dataset.field = f.name;
    if (f.changed) dt.className = dd.className = 'changed';
    return [dt, dd];
  });
}

/** The event log's lines, classed by what happened (abort, violation, finding, …). */
export function eventItems(events: readonly LogEntry[]): HTMLLIElement[] {
  return events.map((e) => {
    const li = document.createElement('li');
    li.className = e.what;
    li.textContent = `#${e.retired} thread ${e.tid}: ${e.what}: ${e.detail}`;
    return li;
  });
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
  li.dataset.address = hex(line.address);
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
  li.textContent = `${line.current ? '→' : ' '} ${hex(line.address)}  ${line.text}${line.target ? ` <${line.target}>` : ''}${note ? `   ; ${note}` : ''}`;
  for (const t of line.threads) {
    const span = document.createElement('span');
    span.className = t.tid === selected ? 'thread selected' : 'thread';
    span.dataset.tid = String(t.tid);
    span.textContent = `  ${markText(t)}`;
    li.append(span);
  }
  return li;
}

/** The code view's blocks (web/code-view.ts), each a title and its lines; `selected` is the picked thread. */
export function codeBlocks(view: CodeView, selected: number): HTMLElement[] {
  return view.blocks.map((b) => {
    const block = document.createElement('div');
    block.className = 'code-block';
    const title = document.createElement('p');
    title.className = 'code-title';
    title.textContent = b.title;
    const ol = document.createElement('ol');
    ol.className = 'code';
    ol.setAttribute('aria-label', `code ${b.title}`);
    ol.append(...b.lines.map((l) => codeLine(l, selected)));
    block.append(title, ol);
    return block;
  });
}

/** A lesson's comparison (web/compare.ts): one column per kernel profile, the lines that differ marked, the checker's findings below. */
export function comparisonColumns(runs: readonly KernelRun[]): HTMLElement[] {
  return runs.map((r) => {
    const column = document.createElement('div');
    column.className = 'run';
    column.dataset.kernel = r.kernel;
    const title = document.createElement('h4');
    title.textContent = `Linux ${r.kernel}`;
    const ending = document.createElement('p');
    ending.className = 'ending';
    ending.textContent = endingText(r);
    const output = document.createElement('pre');
    output.setAttribute('aria-label', `output under Linux ${r.kernel}`);
    const differing = new Set(r.differing);
    output.append(...outputLines(r).flatMap((line) => {
      const span = document.createElement(differing.has(line) ? 'mark' : 'span');
      span.textContent = line;
      return [span, document.createTextNode('\n')];
    }));
    const findings = document.createElement('p');
    findings.className = 'findings-title';
    findings.textContent = `rseq ABI checker: ${r.findings.length === 0 ? 'no findings' : `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`}`;
    const list = document.createElement('ol');
    list.className = 'events findings';
    list.append(...r.findings.map((e) => {
      const li = document.createElement('li');
      li.className = 'finding';
      li.textContent = `#${e.retired} thread ${e.tid}: ${e.detail}`;
      return li;
    }));
    column.append(title, ending, output, findings, list);
    return column;
  });
}

// The timeline as an SVG drawing: one lane per vCPU, a bar for each
// stretch a thread ran there (coloured and labelled by thread), marks for
// injected events and rseq events (aborts, violations, the time slice
// extension's grants, yields and revocations; rseq-abi.md sections 4 and
// 9) that say what they are when hovered or focused (keyboard: Tab to a
// mark), a band over each granted extension, and a legend drawn with the
// same shapes.

import type { MarkKind, Timeline, TimelineMark } from './session.js';

const SVG = 'http://www.w3.org/2000/svg';
/** The drawing's width when its container's is not known (it is never drawn narrower than MIN_WIDTH). */
const WIDTH = 960;
const MIN_WIDTH = 320;
const LEFT = 60;
const LANE = 28;
const BAR = 16;
/** The least distance between two marks' centres on one lane (a mark is about 12 pixels wide). */
const MARK_GAP = 14;
/** Distinct hues for threads (tid modulo the list). */
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f'];

function node<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** What each kind of mark is called, in the legend and in a mark's text. */
export const MARK_NAMES: Record<MarkKind, string> = {
  inject: 'injected event',
  abort: 'rseq abort',
  violation: 'rseq violation (SIGSEGV)',
  'slice-grant': 'time slice extension granted',
  'slice-yield': 'extension ended by rseq_slice_yield',
  'slice-revoke': 'extension revoked',
};

export function markText(m: TimelineMark): string {
  return `${MARK_NAMES[m.what]} at t=${m.t} on vCPU ${m.cpu}, thread ${m.tid}: ${m.detail}`;
}

/** The shape of a kind of mark centred on (cx, cy), about 12 pixels across. */
function markShape(what: MarkKind, cx: number, cy: number): SVGElement {
  switch (what) {
    case 'abort': return node('path', { d: `M${cx - 5} ${cy - 5} L${cx + 5} ${cy + 5} M${cx - 5} ${cy + 5} L${cx + 5} ${cy - 5}` });
    case 'violation': return node('rect', { x: cx - 5, y: cy - 5, width: 10, height: 10 });
    case 'slice-grant': return node('path', { d: `M${cx} ${cy - 6} L${cx + 6} ${cy + 5} L${cx - 6} ${cy + 5} Z` });
    case 'slice-yield': return node('path', { d: `M${cx} ${cy + 6} L${cx + 6} ${cy - 5} L${cx - 6} ${cy - 5} Z` });
    case 'slice-revoke': return node('circle', { cx, cy, r: 5 });
    case 'inject': return node('path', { d: `M${cx} ${cy - 6} L${cx + 6} ${cy} L${cx} ${cy + 6} L${cx - 6} ${cy} Z` });
  }
}

/** The legend: each kind of mark with its shape and name, and the extension band. */
export function drawLegend(): HTMLUListElement {
  const list = document.createElement('ul');
  list.className = 'legend';
  const item = (shape: SVGElement, cls: string, text: string) => {
    const li = document.createElement('li');
    const svg = node('svg', { width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true', class: cls });
    svg.append(shape);
    li.append(svg, document.createTextNode(text));
    list.append(li);
  };
  for (const what of Object.keys(MARK_NAMES) as MarkKind[]) item(markShape(what, 8, 8), `mark ${what}`, MARK_NAMES[what]);
  item(node('rect', { x: 0, y: 5, width: 16, height: 5, class: 'extension' }), 'band', 'a thread running on a granted extension');
  return list;
}

/**
 * Marks close in time (a grant, then its yield a few hundred instructions
 * later) would cover each other: positions (in time order) moved so that
 * they are at least MARK_GAP pixels apart and none is right of `max`; a
 * mark's text keeps its exact time.
 */
export function spread(xs: readonly number[], max: number): number[] {
  const out = [...xs];
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i], out[i - 1] + MARK_GAP);
  for (let i = out.length - 1; i >= 0; i--) out[i] = Math.min(out[i], i === out.length - 1 ? max : out[i + 1] - MARK_GAP);
  return out;
}

/** The stretch of virtual time the drawing shows, [from, to). */
export interface TimeWindow {
  from: number;
  to: number;
}

/** The smallest stretch a zoom shows (ns): a few instructions per pixel at most. */
export const MIN_WINDOW = 64;
/** Time shown either side of the marks (ns): about two scheduling quanta, so the runs around them are in view. */
const MARKS_CONTEXT = 2000;

/** The window zoomed by `factor` (< 1 in, > 1 out) around time `at`, kept inside [0, end] and at least MIN_WINDOW long. */
export function zoomWindow(w: TimeWindow, factor: number, at: number, end: number): TimeWindow {
  const span = Math.min(end, Math.max(MIN_WINDOW, (w.to - w.from) * factor));
  return clampWindow(at - (at - w.from) * (span / (w.to - w.from)), span, end);
}

/** The window moved by `by` of its own length (-0.5: half a window earlier), kept inside [0, end]. */
export function panWindow(w: TimeWindow, by: number, end: number): TimeWindow {
  return clampWindow(w.from + (w.to - w.from) * by, w.to - w.from, end);
}

/** The stretch from the first mark to the last, with a margin (the whole run when there are none). */
export function marksWindow(tl: Timeline): TimeWindow {
  if (tl.marks.length === 0) return { from: 0, to: tl.end };
  const first = Math.min(...tl.marks.map((m) => m.t));
  const last = Math.max(...tl.marks.map((m) => m.t));
  const margin = Math.max(MARKS_CONTEXT, (last - first) / 4);
  return clampWindow(first - margin, last - first + 2 * margin, tl.end);
}

function clampWindow(from: number, span: number, end: number): TimeWindow {
  const length = Math.min(end, span);
  const start = Math.min(Math.max(0, from), end - length);
  return { from: Math.round(start), to: Math.round(start + length) };
}

/**
 * The drawing, `width` pixels wide (its container's, so text keeps its size
 * and the end of the run is in view), of `window` (default the whole run);
 * `inform` gets a mark's description (and the mark) when it is hovered or
 * focused, `jump` a vCPU and a time when a lane is clicked or Enter is
 * pressed on a mark.
 */
export function drawTimeline(tl: Timeline, inform: (text: string, mark: TimelineMark) => void, jump?: (cpu: number, t: number) => void, width = WIDTH, window: TimeWindow = { from: 0, to: tl.end }): SVGSVGElement {
  const drawn = Math.max(MIN_WIDTH, Math.floor(width));
  const height = tl.cpus * LANE + 20;
  const { from, to } = window;
  const svg = node('svg', { width: drawn, height, viewBox: `0 0 ${drawn} ${height}`, role: 'group', 'aria-label': `timeline of ${tl.cpus} vCPUs, t=${from} to t=${to} of ${tl.end}` });
  const x = (t: number) => LEFT + ((drawn - LEFT - 10) * (Math.min(Math.max(t, from), to) - from)) / Math.max(1, to - from);
  const shown = (a: number, b: number) => b >= from && a <= to;
  for (let cpu = 0; cpu < tl.cpus; cpu++) {
    const lane = node('g', { class: 'lane', 'data-cpu': cpu });
    const y = cpu * LANE + 4;
    if (jump) {
      lane.addEventListener('click', (e) => {
        // From the click's x in the drawing's own units (it may be scaled to fit).
        const box = svg.getBoundingClientRect();
        const at = ((e.clientX - box.left) * drawn) / box.width;
        if (at >= LEFT) jump(cpu, Math.round(from + ((at - LEFT) * (to - from)) / (drawn - LEFT - 10)));
      });
      lane.append(node('rect', { class: 'hit-lane', x: LEFT, y: y - 4, width: drawn - LEFT, height: LANE }));
    }
    const label = node('text', { x: 4, y: y + BAR - 3 });
    label.textContent = `vCPU ${cpu}`;
    lane.append(label, node('line', { x1: LEFT, x2: drawn - 10, y1: y + BAR / 2, y2: y + BAR / 2, class: 'axis' }));
    for (const s of tl.segments.filter((s) => s.cpu === cpu && shown(s.from, s.to))) {
      const bar = node('rect', { class: 'run', x: x(s.from), y, width: Math.max(1, x(s.to) - x(s.from)), height: BAR, fill: COLOURS[s.tid % COLOURS.length], 'data-tid': s.tid });
      const title = node('title', {});
      title.textContent = `thread ${s.tid} on vCPU ${cpu}, t=${s.from}..${s.to}`;
      bar.append(title);
      lane.append(bar);
      if (x(s.to) - x(s.from) >= 40) {
        const name = node('text', { x: x(s.from) + 4, y: y + BAR - 4, class: 'tid' });
        name.textContent = String(s.tid);
        lane.append(name);
      }
    }
    const marks = tl.marks.filter((m) => m.cpu === cpu);
    const inView = marks.filter((m) => shown(m.t, m.t));
    // A band from each grant to its end (yield, revocation, or the lane's last time when it has none yet).
    marks.forEach((m, i) => {
      if (m.what !== 'slice-grant') return;
      const end = marks.slice(i + 1).find((e) => e.tid === m.tid && (e.what === 'slice-yield' || e.what === 'slice-revoke'))?.t ?? tl.end;
      if (!shown(m.t, end)) return;
      const band = node('rect', { class: 'extension', x: x(m.t), y: y - 3, width: Math.max(2, x(end) - x(m.t)), height: 4, 'data-tid': m.tid });
      const title = node('title', {});
      title.textContent = `thread ${m.tid} on a granted time slice extension, t=${m.t}..${end}`;
      band.append(title);
      lane.append(band);
    });
    const at = spread(inView.map((m) => x(m.t)), drawn - 8);
    inView.forEach((m, i) => {
      const cx = at[i];
      const cy = y + BAR / 2;
      const shape = markShape(m.what, cx, cy);
      const text = markText(m);
      const g = node('g', { class: `mark ${m.what}`, tabindex: 0, role: 'img', 'aria-label': text });
      const title = node('title', {});
      title.textContent = text;
      g.append(node('circle', { cx, cy, r: 8, class: 'hit' }), shape, title);
      g.addEventListener('focus', () => inform(text, m));
      g.addEventListener('mouseenter', () => inform(text, m));
      if (jump) {
        g.addEventListener('keydown', (e) => {
          if (e.key !== 'Enter') return;
          e.preventDefault();
          e.stopPropagation();
          jump(m.cpu, m.t);
        });
      }
      lane.append(g);
    });
    svg.append(lane);
  }
  // The window's ends, under the lanes.
  const y = tl.cpus * LANE + 14;
  const start = node('text', { x: LEFT, y, class: 'tick' });
  start.textContent = `t=${from}`;
  const stop = node('text', { x: drawn - 10, y, class: 'tick', 'text-anchor': 'end' });
  stop.textContent = `t=${to}`;
  svg.append(start, stop);
  return svg;
}

// The timeline as an SVG drawing: one lane per vCPU, a bar for each
// stretch a thread ran there (coloured and labelled by thread), and marks
// for injected events and rseq aborts that say what they are when hovered
// or focused (keyboard: Tab to a mark).

import type { Timeline, TimelineMark } from './session.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
const LEFT = 60;
const LANE = 28;
const BAR = 16;
/** Distinct hues for threads (tid modulo the list). */
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f'];

function node<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function markText(m: TimelineMark): string {
  return `${m.what === 'abort' ? 'rseq abort' : 'injected'} at t=${m.t} on vCPU ${m.cpu}, thread ${m.tid}: ${m.detail}`;
}

/**
 * The drawing; `inform` gets a mark's description when it is hovered or
 * focused, `jump` a vCPU and a time when a lane is clicked or Enter is
 * pressed on a mark.
 */
export function drawTimeline(tl: Timeline, inform: (text: string) => void, jump?: (cpu: number, t: number) => void): SVGSVGElement {
  const height = tl.cpus * LANE + 20;
  const svg = node('svg', { width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'group', 'aria-label': `timeline of ${tl.cpus} vCPUs up to t=${tl.end}` });
  const x = (t: number) => LEFT + ((WIDTH - LEFT - 10) * t) / tl.end;
  for (let cpu = 0; cpu < tl.cpus; cpu++) {
    const lane = node('g', { class: 'lane', 'data-cpu': cpu });
    const y = cpu * LANE + 4;
    if (jump) {
      lane.addEventListener('click', (e) => {
        // From the click's x in the drawing's own units (it may be scaled to fit).
        const box = svg.getBoundingClientRect();
        const at = ((e.clientX - box.left) * WIDTH) / box.width;
        if (at >= LEFT) jump(cpu, Math.round(((at - LEFT) * tl.end) / (WIDTH - LEFT - 10)));
      });
      lane.append(node('rect', { class: 'hit-lane', x: LEFT, y: y - 4, width: WIDTH - LEFT, height: LANE }));
    }
    const label = node('text', { x: 4, y: y + BAR - 3 });
    label.textContent = `vCPU ${cpu}`;
    lane.append(label, node('line', { x1: LEFT, x2: WIDTH - 10, y1: y + BAR / 2, y2: y + BAR / 2, class: 'axis' }));
    for (const s of tl.segments.filter((s) => s.cpu === cpu)) {
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
    for (const m of tl.marks.filter((m) => m.cpu === cpu)) {
      const cx = x(m.t);
      const cy = y + BAR / 2;
      const shape = m.what === 'abort'
        ? node('path', { d: `M${cx - 5} ${cy - 5} L${cx + 5} ${cy + 5} M${cx - 5} ${cy + 5} L${cx + 5} ${cy - 5}` })
        : node('path', { d: `M${cx} ${cy - 6} L${cx + 6} ${cy} L${cx} ${cy + 6} L${cx - 6} ${cy} Z` });
      const text = markText(m);
      const g = node('g', { class: `mark ${m.what}`, tabindex: 0, role: 'img', 'aria-label': text });
      const title = node('title', {});
      title.textContent = text;
      g.append(node('circle', { cx, cy, r: 8, class: 'hit' }), shape, title);
      g.addEventListener('focus', () => inform(text));
      g.addEventListener('mouseenter', () => inform(text));
      if (jump) {
        g.addEventListener('keydown', (e) => {
          if (e.key !== 'Enter') return;
          e.preventDefault();
          e.stopPropagation();
          jump(m.cpu, m.t);
        });
      }
      lane.append(g);
    }
    svg.append(lane);
  }
  return svg;
}

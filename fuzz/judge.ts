// Whether a run failed, and its failure class (what shrinking must keep).
// A run fails when the program says so (a non-zero exit status), is killed
// by a signal (an rseq SIGSEGV among them), breaks an rseq ABI rule the
// checker watches, deadlocks or runs past its instruction budget.

import type { RunOutcome } from './runner.js';

export type FailureKind = 'exit-status' | 'signal' | 'checker' | 'deadlock' | 'budget' | 'unsupported';

export interface Failure {
  kind: FailureKind;
  /** Same class = same failure for shrinking: kind plus status, signal or rule. */
  class: string;
  /** One line. */
  summary: string;
}

export function judge(o: RunOutcome): Failure | undefined {
  if (o.kind === 'killed') return { kind: 'signal', class: `signal:${o.signal}`, summary: `killed by ${o.signal}${o.message ? `: ${o.message}` : ''}` };
  if (o.kind === 'deadlock') return { kind: 'deadlock', class: 'deadlock', summary: o.message ?? 'deadlock' };
  if (o.kind === 'budget-exhausted') return { kind: 'budget', class: 'budget', summary: `did not finish within its instruction budget (${o.retired} instructions)` };
  if (o.kind === 'unsupported') return { kind: 'unsupported', class: 'unsupported', summary: o.message ?? 'needs something rseqlab does not model' };
  if (o.findings.length > 0) {
    const f = o.findings[0];
    return { kind: 'checker', class: `checker:${f.rule}`, summary: `rseq ABI ${f.rule}: ${f.detail}` };
  }
  if (o.exitCode !== 0) {
    const said = o.stderr.trim().split('\n').filter(Boolean).at(-1);
    return { kind: 'exit-status', class: `exit:${o.exitCode}`, summary: `exited with status ${o.exitCode}${said ? `: ${said}` : ''}` };
  }
  return undefined;
}

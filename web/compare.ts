// One program run to its end under several kernel-version profiles, for
// the lessons that show what changed between Linux versions side by side
// (the extensible ABI of 6.3, the 6.19 regression; rseq-abi.md sections 7b
// and 9). Each run is a fresh Session on its own CPU with the same program,
// arguments, seed and vCPUs, so only the profile differs. No DOM here: the
// page draws the columns, Node tests read the same data.

import type { Cpu } from '../emulator/api.js';
import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import { Session, type LogEntry, type SessionChoice, type SessionView } from './session.js';

/** One column of a comparison: how the program ended under one profile. */
export interface KernelRun {
  kernel: KernelProfileName;
  stdout: string;
  stderr: string;
  kind: SessionView['kind'];
  exitCode: number | null;
  /** The signal that killed it ('SIGSEGV'), if one did. */
  signal?: string;
  message?: string;
  /** The rseq ABI checker's findings (the event log's 'finding' entries). */
  findings: LogEntry[];
  /** Output lines (stdout, then stderr) not printed, identically, by every run of the comparison. */
  differing: string[];
}

/** The choices every run shares (the profile is the one that varies). */
export type CompareChoice = Omit<SessionChoice, 'kernel'>;

/**
 * Runs choice to its end once per profile, in order (one machine at a
 * time: a browser tab holds one wasm memory less). newCpu gives each run
 * its own CPU.
 */
export async function runUnderKernels(newCpu: () => Promise<Cpu>, choice: CompareChoice, kernels: readonly KernelProfileName[]): Promise<KernelRun[]> {
  const runs: Omit<KernelRun, 'differing'>[] = [];
  for (const kernel of kernels) {
    const s = Session.create(await newCpu(), { ...choice, kernel });
    s.runToEnd();
    const v = s.view();
    s.dispose();
    runs.push({
      kernel,
      stdout: v.stdout,
      stderr: v.stderr,
      kind: v.kind,
      exitCode: v.exitCode,
      signal: v.signal,
      message: v.message,
      findings: v.events.filter((e) => e.what === 'finding'),
    });
  }
  const lines = runs.map((r) => new Set(outputLines(r)));
  const inAll = (line: string) => lines.every((set) => set.has(line));
  return runs.map((r, i) => ({ ...r, differing: [...lines[i]].filter((l) => !inAll(l)) }));
}

/** A run's output as lines: stdout's, then stderr's (empty lines left out). */
export function outputLines(r: Pick<KernelRun, 'stdout' | 'stderr'>): string[] {
  return [...r.stdout.split('\n'), ...r.stderr.split('\n')].filter((l) => l !== '');
}

/** A run's ending in words, as the comparison's column heading shows it. */
export function endingText(r: Pick<KernelRun, 'kind' | 'exitCode' | 'signal' | 'message'>): string {
  switch (r.kind) {
    case 'exited': return `exited with status ${r.exitCode}`;
    case 'killed': return `killed by ${r.signal ?? 'a signal'} (exit status ${r.exitCode})${r.message ? `: ${r.message}` : ''}`;
    case undefined: return 'not run';
    default: return `${r.kind}${r.message ? `: ${r.message}` : ''}`;
  }
}

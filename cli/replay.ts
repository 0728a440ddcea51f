// `rseqlab replay`: reruns a replay file (or a schedule code with the
// program and its options) exactly, prints what the program printed and
// the explanation, and exits as the failure did.

import type { Cpu } from '../emulator/api.js';
import { sha256 } from '../fuzz/campaign.js';
import { explain } from '../fuzz/explain.js';
import { judge } from '../fuzz/judge.js';
import { parseReplay, ReplayFormatError } from '../fuzz/replay-file.js';
import { Runner, type FuzzTarget } from '../fuzz/runner.js';
import { decodeSchedule, ScheduleFormatError } from '../fuzz/schedule.js';
import { InputError, UsageError } from './errors.js';
import { loadTarget, parseFuzzArguments } from './fuzz.js';
import { readHostFile, type CliIo } from './run.js';
import { traceLines } from './replay-trace.js';
import type { MachineEvent } from '../kernel-model/events.js';

export const REPLAY_HELP = `usage: rseqlab replay <replay-file>
       rseqlab replay <schedule-code> [options] <program> [args...]

Reruns a failure exactly: same output, same exit status. A schedule code
(what fuzz prints, e.g. s2093bf7e.p@401985) needs the program and the options
it was found with (--cpus, --kernel, --debug-rseq, --max-instructions).

  --trace   also print, on stderr, each critical section an injected event hit,
            instruction by instruction with the event marked, and the machine
            events around each injected event and before the end (switches,
            system calls, signals, rseq aborts), addresses with symbols and
            disassembly
`;

export async function replayCommand(all: readonly string[], io: CliIo, loadCpu: () => Promise<Cpu>): Promise<number> {
  // --trace may come anywhere before the program.
  const program = all.findIndex((a, i) => i > 0 && !a.startsWith('--') && !/^--/.test(all[i - 1] ?? '') );
  const traceAt = all.findIndex((a, i) => a === '--trace' && (program < 0 || i < program));
  const trace = traceAt >= 0;
  const argv = trace ? all.filter((_, i) => i !== traceAt) : all;
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    io.writeStdout(REPLAY_HELP);
    return argv.length === 0 ? 2 : 0;
  }
  let target: FuzzTarget;
  let code: string;
  if (/^s[0-9a-f]+(\.|$)/.test(argv[0])) {
    code = argv[0];
    const a = parseFuzzArguments(argv.slice(1), true);
    target = loadTarget(a);
  } else {
    const text = new TextDecoder().decode(readHostFile(argv[0], 'replay file'));
    let parsed;
    try {
      parsed = parseReplay(text);
    } catch (e) {
      if (e instanceof ReplayFormatError || e instanceof ScheduleFormatError) throw new InputError(`${argv[0]}: ${e.message}`);
      throw e;
    }
    const r = parsed.replay;
    target = { ...loadTarget({ program: r.program.path, args: r.args, cpus: r.cpus, kernel: r.kernel, debugRseq: r.debugRseq, maxInstructions: r.maxInstructions }), path: r.argv0, env: r.env };
    const digest = await sha256(target.program);
    if (digest !== r.program.sha256) throw new InputError(`${argv[0]}: ${r.program.path} is not the program the failure was found in (SHA-256 ${digest}, the file says ${r.program.sha256})`);
    code = r.schedule;
  }
  let schedule;
  try {
    schedule = decodeSchedule(code);
  } catch (e) {
    if (e instanceof ScheduleFormatError) throw new UsageError(e.message);
    throw e;
  }
  const runner = Runner.create(target, await loadCpu());
  const events: MachineEvent[] = [];
  const out = runner.run(schedule, trace ? (e) => events.push(e) : undefined);
  io.writeStdout(out.stdout);
  io.writeStderr(out.stderr);
  const f = judge(out);
  for (const l of f ? explain(runner, schedule, out, f) : [`schedule ${code}: no failure`]) io.writeStderr(`rseqlab: ${l}\n`);
  if (trace) for (const l of await traceLines(runner, events)) io.writeStderr(l + '\n');
  // As `rseqlab run` exits: the status (128+N for a signal), 124 for the budget, 125 for a deadlock.
  return out.exitCode ?? (out.kind === 'budget-exhausted' ? 124 : 125);
}

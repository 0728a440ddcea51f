// Debian's static shells run pipelines in the emulator with the output and
// status they have natively: bash-static with busybox's sort on its PATH,
// and busybox sh, whose applets run by executing /proc/self/exe. Each
// pipeline forks, execs, pipes and waits on several vCPUs.
//
// Needs Debian's busybox-static and bash-static (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from './run-program.js';

const BUSYBOX = '/bin/busybox';
const BASH = '/bin/bash-static';
let bin: string;

beforeAll(() => {
  for (const p of [BUSYBOX, BASH]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: install Debian's busybox-static and bash-static (apt-get install busybox-static bash-static), as .ci/run does`);
  }
  bin = mkdtempSync(join(tmpdir(), 'rseqlab-shells-'));
  for (const applet of ['sort', 'tr', 'head', 'wc', 'cat', 'uniq', 'seq']) symlinkSync(BUSYBOX, join(bin, applet));
});

afterAll(() => {
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/** The pipeline natively, with busybox's applets first on PATH. */
function native(argv: string[]): { stdout: string; status: number } {
  const r = spawnSync(argv[0], argv.slice(1), { env: { PATH: `${bin}:/bin` }, encoding: 'utf8', input: '' });
  return { stdout: r.stdout, status: r.status ?? 128 + 9 };
}

/** The same in the emulator: the applets at /usr/bin/<name>, PATH=/usr/bin:/bin. */
async function emulated(argv: string[], cpus: number, seed: number) {
  const files: Record<string, string> = { [BUSYBOX]: BUSYBOX, [BASH]: BASH };
  for (const applet of ['sort', 'tr', 'head', 'wc', 'cat', 'uniq', 'seq']) files[`/usr/bin/${applet}`] = BUSYBOX;
  const r = await runProgram({ path: argv[0], argv, envp: ['PATH=/usr/bin:/bin'], files, cpus, seed, maxInstructions: 2e9 });
  return { stdout: new TextDecoder().decode(r.stdout), status: r.exitCode };
}

const PIPELINES: { title: string; argv: string[] }[] = [
  { title: 'bash: for loop | sort', argv: [BASH, '-c', 'for i in 3 1 2; do echo $i; done | sort'] },
  { title: 'bash: three-stage pipeline, $? and PIPESTATUS', argv: [BASH, '-c', 'seq 1 20 | sort -rn | head -3; echo "status $? ${PIPESTATUS[*]}"'] },
  { title: 'bash: subshell, command substitution, exit status', argv: [BASH, '-c', 'x=$(echo hi | tr a-z A-Z); (echo "$x"; exit 3); echo "sub $?"; exit 7'] },
  { title: 'busybox sh: pipeline between applets', argv: [BUSYBOX, 'sh', '-c', 'echo b a c | tr " " "\\n" | sort | head -2'] },
  { title: 'busybox sh: uniq -c, wc, while read', argv: [BUSYBOX, 'sh', '-c', 'printf "x\\ny\\nx\\nx\\n" | sort | uniq -c; seq 5 | wc -l; seq 3 | while read n; do echo "n=$n"; done'] },
];

describe('static shells: pipelines in the emulator vs natively', () => {
  for (const p of PIPELINES) {
    it(`${p.title}: same stdout and status on 1, 2 and 4 vCPUs`, async () => {
      const want = native(p.argv);
      expect(want.stdout.length).toBeGreaterThan(0);
      for (const [cpus, seed] of [[1, 1], [2, 2], [4, 3]] as const) {
        const got = await emulated(p.argv, cpus, seed);
        expect(got.stdout, `--cpus ${cpus} --seed ${seed}`).toBe(want.stdout);
        expect(got.status, `--cpus ${cpus} --seed ${seed}`).toBe(want.status);
      }
    });
  }
});

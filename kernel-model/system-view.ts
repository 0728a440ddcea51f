// The machine as /proc and /sys show it (procfs.ts's SystemView): plain
// views computed from the kernel's objects when a file is opened.

import { CLOCK_BOOTTIME, CLOCK_REALTIME } from './clock.js';
import type { Kernel } from './kernel.js';
import type { MapView, ProcessView, SystemView, ThreadView } from './procfs.js';
import { SIG_DFL, SIG_IGN } from './signals.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

function threadState(t: Task): ThreadView['state'] {
  switch (t.state) {
    case 'running':
    case 'runnable':
      return 'R';
    case 'blocked':
      return t.wait?.interruptible === false ? 'D' : 'S';
    case 'stopped':
      return 'T';
    case 'dead':
      return 'X';
  }
}

function nulSeparated(strings: readonly string[]): Uint8Array {
  return new TextEncoder().encode(strings.map((s) => s + '\0').join(''));
}

function threadView(t: Task): ThreadView {
  return {
    tid: t.tid,
    comm: t.name,
    state: threadState(t),
    cpu: t.cpu,
    allowedCpus: t.allowed,
    blocked: t.blocked,
    pending: t.pending.mask,
    utimeNs: t.cpuNs,
    startNs: t.startNs,
    voluntarySwitches: t.voluntarySwitches,
    involuntarySwitches: t.involuntarySwitches,
    setComm: (name) => {
      t.name = name.slice(0, 15);
    },
  };
}

function mapsOf(g: ThreadGroup): MapView[] {
  return g.mm.map.areas().map((v) => ({
    start: v.start,
    end: v.end,
    prot: v.prot,
    shared: v.shared,
    offset: v.file ? v.file.offset : v.object ? v.object.page * 4096 : 0,
    dev: 0,
    ino: 0,
    // Linux names no anonymous area; '[stack-like]' is this model's own label for MAP_STACK areas.
    name: v.name === '[stack-like]' ? undefined : v.name,
  }));
}

/** Signals the process ignores or catches, as bit masks (/proc/<pid>/status SigIgn, SigCgt). */
function dispositionMask(g: ThreadGroup, caught: boolean): bigint {
  let mask = 0n;
  for (let sig = 1; sig <= 64; sig++) {
    const h = g.actions.get(sig).handler;
    if (caught ? h !== SIG_IGN && h !== SIG_DFL : h === SIG_IGN) mask |= 1n << BigInt(sig - 1);
  }
  return mask;
}

function processView(kernel: Kernel, g: ThreadGroup): ProcessView {
  const alive = g.state === 'alive';
  return {
    pid: g.tgid,
    ppid: g.ppid,
    pgid: g.pgid,
    sid: g.sid,
    uid: g.creds.uid,
    euid: g.creds.euid,
    gid: g.creds.gid,
    egid: g.creds.egid,
    groups: [],
    exe: alive ? g.exePath : undefined,
    cmdline: () => nulSeparated(g.argv),
    environ: () => nulSeparated(g.envp),
    threads: () => {
      const live = g.liveTasks().sort((a, b) => (a.isLeader ? -1 : b.isLeader ? 1 : a.tid - b.tid));
      return live.map(threadView);
    },
    maps: () => (alive ? mapsOf(g) : undefined),
    fds: () => g.fds.numbers().map((fd) => ({ fd, file: g.fds.get(fd)!, closeOnExec: g.fds.entry(fd)!.closeOnExec })),
    // Computed when read: resolving /proc/self/exe needs neither.
    get sigIgnored() { return dispositionMask(g, false); },
    get sigCaught() { return dispositionMask(g, true); },
    sharedPending: g.sharedPending.mask,
    rlimit: (r) => g.rlimits.get(r),
    utimeNs: g.cpuNs(),
    childrenUtimeNs: g.childrenCpuNs,
    umask: g.umask,
    exitCode: alive ? undefined : g.waitStatus,
    exitSignal: g.exitSignal,
  };
}

export function systemView(kernel: Kernel): SystemView {
  return {
    cpus: kernel.vcpus.length,
    nodes: kernel.nodes,
    release: kernel.profile.release,
    version: '#1 SMP PREEMPT_DYNAMIC rseqlab',
    realtimeNs: () => kernel.clock.read(CLOCK_REALTIME, kernel.globalTime()) as bigint,
    uptimeNs: () => kernel.clock.read(CLOCK_BOOTTIME, kernel.globalTime()) as bigint,
    cpuUserNs: (cpu) => kernel.vcpus[cpu]?.userNs ?? 0n,
    contextSwitches: () => kernel.vcpus.reduce((n, v) => n + v.switches, 0),
    forks: () => kernel.forks,
    lastPid: () => kernel.lastPid,
    processes: () => [...kernel.processes.values()].filter((p) => p.state !== 'reaped').map((p) => processView(kernel, p)),
    pids: () => [...kernel.processes.values()].filter((p) => p.state !== 'reaped').map((p) => p.tgid),
    process: (pid) => {
      const p = kernel.processes.get(pid);
      return p && p.state !== 'reaped' ? processView(kernel, p) : undefined;
    },
  };
}

// execve (fs/exec.c, fs/binfmt_elf.c, fs/binfmt_script.c): the process gets
// a new image in a new address space. Checks that can fail come first
// (ENOENT, EACCES, ENOEXEC, E2BIG); past the point of no return the other
// threads die (de_thread), the old address space goes, close-on-exec
// descriptors close, handled signals go back to their default, the
// alternate stack and the rseq registration are dropped, and the initial
// stack is built as at start-up. A vfork parent is released.

import { CLOCK_REALTIME } from './clock.js';
import { E2BIG, EACCES, ELOOP, ENOEXEC } from './errno.js';
import { exitTask } from './exit.js';
import { ElfError, parseElf, type ElfImage } from './elf.js';
import { O_RDONLY, type OpenFile } from './files.js';
import type { Kernel } from './kernel.js';
import { loadElf, setInitialRegisters } from './loader.js';
import { AddressSpace } from './address-space.js';
import { TaskRseq } from './rseq.js';
import { SS_DISABLE, type Task } from './task.js';
import { failed, MAY_EXEC, normalize, permission } from './vfs.js';
import type { SyscallResult } from './wait.js';

/** MAX_ARG_STRLEN and the total the kernel accepts (a quarter of the 8 MiB stack limit). */
const MAX_ARG_STRLEN = 32 * 4096;
const MAX_ARG_TOTAL = (8 << 20) / 4;
/** binfmt_script's nesting limit (an interpreter that is itself a script). */
const MAX_INTERPRETER_DEPTH = 4;
const BINPRM_BUF_SIZE = 256;

/** What execve needs from the machine to build the new image as at start-up. */
export interface ExecEnvironment {
  hwcap: number;
  /** 16 bytes for AT_RANDOM, from the machine's seeded stream. */
  randomBytes(): Uint8Array;
}

interface Executable {
  image: ElfImage;
  /** The path the binary was found at (what /proc/<pid>/exe shows). */
  path: string;
  argv: string[];
}

function readWhole(f: OpenFile): Uint8Array {
  const c = f.contents();
  if (c) return c;
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = f.read(1 << 20);
    if (!(r instanceof Uint8Array) || r.length === 0) break;
    chunks.push(r);
  }
  const out = new Uint8Array(chunks.reduce((n, c2) => n + c2.length, 0));
  let at = 0;
  for (const c2 of chunks) {
    out.set(c2, at);
    at += c2.length;
  }
  return out;
}

/** Finds and checks the program: an ELF image, or a #! script whose interpreter is one. */
function findExecutable(kernel: Kernel, task: Task, path: string, argv: string[], depth: number): Executable | number {
  const group = task.group;
  const vfs = group.vfs;
  const caller = { ...vfs.callerFor(group.tgid, task.tid), uid: group.creds.euid, gid: group.creds.egid };
  const node = vfs.lookup(path, { caller });
  if (failed(node)) return -node.errno;
  if (node.type !== 'file') return -EACCES; // directories, devices: not regular files
  if (!permission(node.stat(), MAY_EXEC, caller)) return -EACCES;
  const opened = node.open(O_RDONLY, path, caller);
  if ('errno' in opened) return -opened.errno;
  const bytes = readWhole(opened);
  opened.release?.();
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    // binfmt_script: "#!interpreter [one optional argument]", the first line only.
    if (depth >= MAX_INTERPRETER_DEPTH) return -ELOOP;
    const head = new TextDecoder().decode(bytes.subarray(2, Math.min(bytes.length, BINPRM_BUF_SIZE)));
    const line = head.split('\n')[0].trim();
    if (line.length === 0) return -ENOEXEC;
    const space = line.search(/[ \t]/);
    const interp = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? '' : line.slice(space).trim();
    const next = [interp, ...(arg ? [arg] : []), path, ...argv.slice(1)];
    return findExecutable(kernel, task, interp, next, depth + 1);
  }
  try {
    return { image: parseElf(bytes), path, argv };
  } catch (e) {
    if (e instanceof ElfError) return -ENOEXEC;
    throw e;
  }
}

/** SYSCALL_DEFINE3(execve) after the strings were read from the caller's memory. */
export function execve(kernel: Kernel, task: Task, path: string, argv: string[], envp: string[], env: ExecEnvironment): SyscallResult {
  let total = 0;
  for (const s of [...argv, ...envp]) {
    if (s.length + 1 > MAX_ARG_STRLEN) return -E2BIG;
    total += s.length + 1 + 8;
  }
  if (total > MAX_ARG_TOTAL) return -E2BIG;
  const found = findExecutable(kernel, task, path, argv.length > 0 ? argv : [path], 0);
  if (typeof found === 'number') return found;

  // --- the point of no return ---
  const group = task.group;
  for (const other of group.liveTasks()) if (other !== task) exitTask(kernel, other, 0);
  const cpu = kernel.cpu;
  const oldMm = group.mm;
  const mm = new AddressSpace(cpu, cpu.createAddressSpace());
  cpu.useAddressSpace(mm.id);
  group.mm = mm;
  const absolute = normalize(found.path, group.vfs.pathOf(group.vfs.fsContext(group.tgid).cwd));
  const loaded = loadElf(found.image, mm, cpu, {
    argv: found.argv,
    envp,
    execFn: path,
    randomBytes: env.randomBytes(),
    profile: kernel.profile,
    hwcap: env.hwcap,
    uid: group.creds.uid,
    euid: group.creds.euid,
    gid: group.creds.gid,
    egid: group.creds.egid,
  }, found.path);
  kernel.dropAddressSpace(oldMm);
  setInitialRegisters(task.ctx, loaded);
  // The x87/SSE state starts afresh (fpu__clear_user_states).
  task.ctx.fxrstorImage(initialFpu());

  group.fds.closeOnExec();
  group.actions.resetForExec();
  task.altStack = { sp: 0n, size: 0n, flags: SS_DISABLE };
  task.rseq = new TaskRseq(); // rseq_execve: the registration is dropped
  kernel.rseqAreasVersion++;
  task.robustList = { head: 0n, length: 0n };
  task.clearChildTid = 0n;
  task.savedMask = undefined;
  task.name = found.path.split('/').pop()!.slice(0, 15);
  group.exePath = absolute;
  group.argv = found.argv;
  group.envp = envp;
  group.image = found.image;
  kernel.emit({ kind: 'exec', t: kernel.readClock(CLOCK_REALTIME, task) as bigint, pid: group.tgid, path: found.path });
  if (group.vforkParent) {
    const parent = group.vforkParent;
    group.vforkParent = undefined;
    kernel.wake(parent, 'woken');
  }
  return 0;
}

/** The FXSAVE image of a freshly initialised FPU: FCW 0x37f, MXCSR 0x1f80, everything else zero. */
function initialFpu(): Uint8Array {
  const b = new Uint8Array(512);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x37f, true);
  v.setUint32(24, 0x1f80, true);
  v.setUint32(28, 0xffff, true);
  return b;
}

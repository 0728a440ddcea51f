// execve(2): the strings are copied from the caller's memory here; exec.ts
// does the work.

import { E2BIG, EFAULT } from '../errno.js';
import { execve } from '../exec.js';
import type { UserMemory } from '../user-memory.js';
import { ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';
import type { SyscallResult } from '../wait.js';

/** MAX_ARG_STRINGS. */
const MAX_ARG_STRINGS = 0x7fffffff;
const MAX_ARG_STRLEN = 32 * 4096;

/** A NULL-terminated array of string pointers (argv, envp); NULL itself is an empty array. */
function readStrings(mem: UserMemory, addr: bigint): string[] | number {
  if (addr === 0n) return [];
  const out: string[] = [];
  for (let i = 0; i < MAX_ARG_STRINGS; i++) {
    const p = mem.readU64(ptr(addr) + i * 8);
    if (p === 0n) return out;
    out.push(mem.readCString(ptr(p), MAX_ARG_STRLEN));
    if (out.length > 65536) return -E2BIG;
  }
  return -E2BIG;
}

function sysExecve(call: SyscallCall): SyscallResult {
  const [pathArg, argvArg, envpArg] = call.args;
  const path = call.mem.readCString(ptr(pathArg));
  const argv = readStrings(call.mem, argvArg);
  if (typeof argv === 'number') return argv;
  const envp = readStrings(call.mem, envpArg);
  if (typeof envp === 'number') return envp;
  const env = call.kernel.execEnv;
  if (!env) return -EFAULT;
  return execve(call.kernel, call.task, path, argv, envp, env);
}

export const execSyscalls: SyscallFamily = {
  execve: sysExecve,
};

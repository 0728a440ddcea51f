// uname (kernel/sys.c newuname), sysinfo (kernel/sys.c do_sysinfo) and
// getrandom (drivers/char/random.c), the latter from the machine's seeded
// generator.

import { EFAULT, EINVAL } from '../errno.js';
import { UserFault } from '../user-memory.js';
import { int, length, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const UTS_FIELD = 65;
const GRND_NONBLOCK = 1;
const GRND_RANDOM = 2;
const GRND_INSECURE = 4;
const INT_MAX = 0x7fffffff;

function sysUname(call: SyscallCall): number {
  const fields = ['Linux', 'rseqlab', call.kernel.profile.release, '#1 SMP PREEMPT_DYNAMIC rseqlab', 'x86_64', '(none)'];
  const buf = new Uint8Array(UTS_FIELD * fields.length);
  const enc = new TextEncoder();
  fields.forEach((f, i) => buf.set(enc.encode(f).subarray(0, UTS_FIELD - 1), i * UTS_FIELD));
  call.mem.write(ptr(call.args[0]), buf);
  return 0;
}

function sysGetrandom(call: SyscallCall): number {
  const [buf, len, flagsArg] = call.args;
  const flags = int(flagsArg);
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -EINVAL;
  if ((flags & (GRND_INSECURE | GRND_RANDOM)) === (GRND_INSECURE | GRND_RANDOM)) return -EINVAL;
  const total = Math.min(length(len), INT_MAX);
  const base = ptr(buf);
  let done = 0;
  while (done < total) {
    const chunk = call.kernel.random.bytes(Math.min(4096, total - done));
    try {
      call.mem.write(base + done, chunk);
    } catch (e) {
      if (e instanceof UserFault) return done > 0 ? done : -EFAULT;
      throw e;
    }
    done += chunk.length;
  }
  return done;
}

/** The memory the modelled machine reports: fixed, so guests that size buffers from it behave the same everywhere. */
export const MODELLED_RAM_BYTES = 4n << 30n;
export const MODELLED_FREE_RAM_BYTES = 3n << 30n;
const CLOCK_BOOTTIME = 7;
const SYSINFO_SIZE = 112;

/** struct sysinfo (include/uapi/linux/sysinfo.h), x86-64 layout, mem_unit 1. */
function sysSysinfo(call: SyscallCall): number {
  const buf = new Uint8Array(SYSINFO_SIZE);
  const v = new DataView(buf.buffer);
  const uptimeNs = BigInt(call.kernel.readClock(CLOCK_BOOTTIME, call.task));
  v.setBigInt64(0, uptimeNs / 1_000_000_000n, true); //  uptime (s)
  // loads[3] at 8..31 stay 0: nothing else runs on the modelled machine.
  v.setBigUint64(32, MODELLED_RAM_BYTES, true); //          totalram
  v.setBigUint64(40, MODELLED_FREE_RAM_BYTES, true); //     freeram
  // sharedram, bufferram, totalswap, freeswap: 0
  v.setUint16(80, call.kernel.tasks.size, true); //          procs
  // totalhigh, freehigh: 0
  v.setUint32(104, 1, true); //                              mem_unit
  call.mem.write(ptr(call.args[0]), buf);
  return 0;
}

export const miscSyscalls: SyscallFamily = {
  uname: sysUname,
  sysinfo: sysSysinfo,
  getrandom: sysGetrandom,
};

// uname (kernel/sys.c newuname) and getrandom (drivers/char/random.c), the
// latter from the machine's seeded generator.

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

export const miscSyscalls: SyscallFamily = {
  uname: sysUname,
  getrandom: sysGetrandom,
};

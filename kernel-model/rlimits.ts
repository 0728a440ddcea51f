// Resource limits (include/uapi/asm-generic/resource.h) with the defaults a
// login shell on a current distribution hands its children.

import { EINVAL, EPERM } from './errno.js';
import { STACK_SIZE } from './layout.js';

export const RLIM_INFINITY = 0xffffffffffffffffn;

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIMIT_RTTIME = 15;
export const RLIM_NLIMITS = 16;

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

export class ResourceLimits {
  private readonly limits: Rlimit[] = [];

  constructor() {
    for (let i = 0; i < RLIM_NLIMITS; i++) this.limits.push({ cur: RLIM_INFINITY, max: RLIM_INFINITY });
    this.limits[RLIMIT_STACK] = { cur: BigInt(STACK_SIZE), max: RLIM_INFINITY };
    this.limits[RLIMIT_CORE] = { cur: 0n, max: RLIM_INFINITY };
    this.limits[RLIMIT_NPROC] = { cur: 63_405n, max: 63_405n };
    this.limits[RLIMIT_NOFILE] = { cur: 1024n, max: 524_288n };
    this.limits[RLIMIT_MEMLOCK] = { cur: 8_388_608n, max: 8_388_608n };
    this.limits[RLIMIT_SIGPENDING] = { cur: 63_405n, max: 63_405n };
    this.limits[RLIMIT_MSGQUEUE] = { cur: 819_200n, max: 819_200n };
    this.limits[RLIMIT_NICE] = { cur: 0n, max: 0n };
    this.limits[RLIMIT_RTPRIO] = { cur: 0n, max: 0n };
  }

  get(resource: number): Rlimit {
    return { ...this.limits[resource] };
  }

  /** kernel/sys.c do_prlimit: 0 or a negative errno (unprivileged: the hard limit may only go down). */
  set(resource: number, next: Rlimit): number {
    if (resource < 0 || resource >= RLIM_NLIMITS) return -EINVAL;
    if (next.cur > next.max) return -EINVAL;
    if (next.max > this.limits[resource].max) return -EPERM;
    this.limits[resource] = { ...next };
    return 0;
  }

  /** RLIMIT_NOFILE's soft limit as a descriptor count. */
  fileLimit(): number {
    const cur = this.limits[RLIMIT_NOFILE].cur;
    return cur > 1_048_576n ? 1_048_576 : Number(cur);
  }
}

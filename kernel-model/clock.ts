// The machine's virtual clock. Time is a function of the run alone, never of
// the host: every retired instruction takes 1 ns, and sleeps move the clock
// forward by the time slept (nothing else can run meanwhile). CLOCK_REALTIME
// starts at a fixed epoch; CLOCK_MONOTONIC / BOOTTIME at a fixed uptime; the
// CPU-time clocks count instructions only.

import { EINVAL } from './errno.js';

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_TAI = 11;

export const NSEC_PER_SEC = 1_000_000_000n;

/** 2025-01-01T00:00:00Z. */
export const DEFAULT_EPOCH_NS = 1_735_689_600n * NSEC_PER_SEC;
/** The machine has been up for 100 s when the program starts. */
export const DEFAULT_UPTIME_NS = 100n * NSEC_PER_SEC;
export const NS_PER_INSTRUCTION = 1n;

export class VirtualClock {
  private cpuNs = 0n;
  private sleptNs = 0n;

  constructor(
    private readonly epochNs = DEFAULT_EPOCH_NS,
    private readonly uptimeNs = DEFAULT_UPTIME_NS,
  ) {}

  /** Called with each batch of retired instructions. */
  retire(instructions: number): void {
    this.cpuNs += BigInt(instructions) * NS_PER_INSTRUCTION;
  }

  /** The task blocks for ns nanoseconds. */
  sleep(ns: bigint): void {
    if (ns > 0n) this.sleptNs += ns;
  }

  private elapsed(): bigint {
    return this.cpuNs + this.sleptNs;
  }

  /** Nanoseconds on `clockId`, or -EINVAL for a clock that does not exist. */
  read(clockId: number): bigint | number {
    switch (clockId) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_COARSE:
      case CLOCK_REALTIME_ALARM:
        return this.epochNs + this.elapsed();
      case CLOCK_TAI:
        return this.epochNs + this.elapsed() + 37n * NSEC_PER_SEC;
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_MONOTONIC_COARSE:
      case CLOCK_BOOTTIME:
      case CLOCK_BOOTTIME_ALARM:
        return this.uptimeNs + this.elapsed();
      case CLOCK_PROCESS_CPUTIME_ID:
      case CLOCK_THREAD_CPUTIME_ID:
        return this.cpuNs;
      default:
        return -EINVAL;
    }
  }

  realtimeNs(): bigint {
    return this.epochNs + this.elapsed();
  }
}

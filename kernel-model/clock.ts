// The machine's virtual clocks. Time is a function of the run alone, never
// of the host: every retired instruction takes 1 ns of its vCPU's time.
// CLOCK_REALTIME starts at a fixed epoch; CLOCK_MONOTONIC / BOOTTIME at a
// fixed uptime.

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

/**
 * The wall and monotonic clocks over machine time. Machine time (ns since
 * the model booted) comes from the vCPUs' clocks (vcpu.ts): every retired
 * instruction takes NS_PER_INSTRUCTION, and idle time passes when nothing
 * runs until the next timer. The CPU-time clocks are per task (kernel.ts).
 */
export class VirtualClock {
  constructor(
    private readonly epochNs = DEFAULT_EPOCH_NS,
    private readonly uptimeNs = DEFAULT_UPTIME_NS,
  ) {}

  /** Nanoseconds on `clockId` at machine time `machineNs`, or -EINVAL for a clock that does not exist here. */
  read(clockId: number, machineNs: bigint): bigint | number {
    switch (clockId) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_COARSE:
      case CLOCK_REALTIME_ALARM:
        return this.epochNs + machineNs;
      case CLOCK_TAI:
        return this.epochNs + machineNs + 37n * NSEC_PER_SEC;
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_MONOTONIC_COARSE:
      case CLOCK_BOOTTIME:
      case CLOCK_BOOTTIME_ALARM:
        return this.uptimeNs + machineNs;
      default:
        return -EINVAL;
    }
  }

  /** Machine time at which clock `clockId` (REALTIME or MONOTONIC family) shows `clockNs`. */
  machineTimeAt(clockId: number, clockNs: bigint): bigint {
    const zero = this.read(clockId, 0n);
    return clockNs - (typeof zero === 'number' ? 0n : zero);
  }
}

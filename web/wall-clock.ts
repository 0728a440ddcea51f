// The page's one reading of the host clock, for pacing and reporting only:
// how long a Run slice holds the page before it paints (main.ts), and the
// schedules/s and elapsed time the fuzz worker shows (fuzz-worker.ts). None
// of it reaches a choice of the machine: a Run slice ends only between the
// scheduler's turns (Machine RunOptions.yieldWhen, transparent), and the
// fuzzer's schedules come from its seed whatever the time. So this is the
// only file under web/ that test/kernel-model/browser-safe.test.ts lets read
// the clock.

/** Milliseconds of wall time from an arbitrary origin (performance.now). */
export function wallMs(): number {
  return performance.now();
}

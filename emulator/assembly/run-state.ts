// Counters of the current run() call, readable by handlers (rdtsc).

export let RUN_RETIRED: u64 = 0;
export function retiredInRun(): u64 { return RUN_RETIRED; }
export function setRunRetired(n: u64): void { RUN_RETIRED = n; }

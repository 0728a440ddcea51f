// The x87 instructions glibc's start-up and printf need (manual Vol. 2, Appendix A.5).

import type { OpcodeRow } from './types.js';

const rows: OpcodeRow[] = [];

export const X87_ROWS: readonly OpcodeRow[] = rows;

// SSE and SSE2 instructions (manual Vol. 2, Appendix A, Table A-3 with
// mandatory prefixes none / 66 / F3 / F2).

import type { OpcodeRow } from './types.js';

const rows: OpcodeRow[] = [];

export const SSE_ROWS: readonly OpcodeRow[] = rows;

// The whole opcode table: every row of every instruction family.

import type { OpcodeRow } from './types.js';
import { INTEGER_ROWS } from './integer.js';
import { SSE_ROWS } from './sse.js';
import { SSE4_ROWS } from './sse4.js';
import { X87_ROWS } from './x87.js';
import { MMX_ROWS } from './mmx.js';

export type { OpcodeRow } from './types.js';
export const OPCODE_TABLE: readonly OpcodeRow[] = [...INTEGER_ROWS, ...SSE_ROWS, ...X87_ROWS, ...MMX_ROWS, ...SSE4_ROWS];

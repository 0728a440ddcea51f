// The timeline's layout of marks close in time (web/timeline.ts spread):
// none covers another, none leaves the drawing, and marks far apart stay
// where their time puts them.

import { describe, expect, it } from 'vitest';
import { spread } from '../../web/timeline.js';

describe('timeline mark layout', () => {
  it('keeps marks far apart where they are', () => {
    expect(spread([10, 100, 500], 900)).toEqual([10, 100, 500]);
  });

  it('moves marks close in time at least 14 px apart, to the right', () => {
    expect(spread([100, 101, 103], 900)).toEqual([100, 114, 128]);
  });

  it('moves marks at the right edge back inside the drawing', () => {
    expect(spread([950, 952], 952)).toEqual([938, 952]);
    expect(spread([951, 960], 952)).toEqual([938, 952]);
  });
});

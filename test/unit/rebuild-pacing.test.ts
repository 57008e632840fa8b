/**
 * The pacing of `vidproc rebuild-workflows` (src/processes/rebuild-workflows.ts): which slot each
 * call gets, on a clock the test moves (no real time is waited or measured).
 */
import { describe, expect, it } from '@jest/globals';
import { createPacer, parseResumeToken } from '../../src/processes/rebuild-workflows.js';

/** A clock that only moves when a call waits, recording when each call went. */
function fakeClock() {
  let time = 1_000;
  const waits: number[] = [];
  return {
    now: () => time,
    wait: (ms: number) => {
      waits.push(ms);
      time += ms;
      return Promise.resolve();
    },
    waits,
    advance: (ms: number) => (time += ms),
    get time() {
      return time;
    },
  };
}

describe('createPacer', () => {
  it('spaces calls evenly at the rate', async () => {
    const clock = fakeClock();
    const pace = createPacer(50, clock);
    const went: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pace();
      went.push(clock.time);
    }
    expect(went).toEqual([1_000, 1_020, 1_040, 1_060, 1_080]);
  });

  it('gives callers in parallel lanes distinct slots: together they keep the rate', async () => {
    const clock = fakeClock();
    const pace = createPacer(100, { now: clock.now, wait: (ms) => (clock.waits.push(ms), Promise.resolve()) });
    // Four lanes ask at the same moment: each takes the next slot before any of them waits.
    await Promise.all([pace(), pace(), pace(), pace()]);
    expect(clock.waits).toEqual([10, 20, 30]);
  });

  it('does not burst to catch up after a slow call', async () => {
    const clock = fakeClock();
    const pace = createPacer(10, clock);
    await pace();
    clock.advance(1_000); // the call took a second: ten slots went by unused
    await pace();
    await pace();
    expect(clock.waits).toEqual([100]);
  });
});

describe('parseResumeToken', () => {
  it('takes what a run prints, and nothing else', () => {
    expect(parseResumeToken('video:vid-1')).toBe('video:vid-1');
    expect(parseResumeToken('delivery:msg_2abc')).toBe('delivery:msg_2abc');
    expect(parseResumeToken('video:')).toBeNull();
    expect(parseResumeToken('vid-1')).toBeNull();
    expect(parseResumeToken('webhook:x')).toBeNull();
  });
});

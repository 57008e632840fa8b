/**
 * The stage timer: wakes the tracker when the video's stage deadline passes or a repeat alert is
 * due (src/domain/stall.ts decides what that means). One timer per wake-up: a deadline that moves
 * later (every applied event re-arms it) is looked at again when the current timer fires, so
 * events cost no timers; only a wake-up that moves earlier (an operator's retry after an
 * extension) starts a new one.
 */
import { condition } from '@temporalio/workflow';

export interface StageClock {
  /** When to wake next (epoch ms), or null when nothing is due (a finished video). */
  nextWakeup(): number | null;
  /** The time has come. */
  wake(): void;
}

export async function runStageTimer(clock: StageClock): Promise<never> {
  for (;;) {
    const target = clock.nextWakeup();
    if (target === null) {
      await condition(() => clock.nextWakeup() !== null);
      continue;
    }
    const wait = target - Date.now();
    if (wait > 0) {
      await condition(() => {
        const next = clock.nextWakeup();
        return next !== null && next < target;
      }, wait);
      continue;
    }
    clock.wake();
  }
}

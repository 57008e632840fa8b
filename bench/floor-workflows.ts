/**
 * Temporal's floor for the benchmark: the least a video workflow could be. It takes the same
 * signals as vidproc's (one per event), answers the same kind of query, and completes once it
 * has seen the video's completion, with no activities, timers or search attributes.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

export const floorEventSignal = defineSignal<[{ type: string }]>('event');
export const floorStatusQuery = defineQuery<{ events: number; done: boolean }>('getStatus');

export async function floorWorkflow(): Promise<number> {
  let events = 0;
  let done = false;
  setHandler(floorEventSignal, (event) => {
    events++;
    if (event.type.endsWith('.completed')) done = true;
  });
  setHandler(floorStatusQuery, () => ({ events, done }));
  await condition(() => done);
  return events;
}

/**
 * Temporal's floor for the benchmark: the least a video workflow could be. It takes the same
 * signals as vidproc's (one per event), answers the same kind of query, and completes once it
 * has seen the video's completion, with no activities, timers or search attributes.
 */
import { condition, defineQuery, defineSignal, proxySinks, setHandler, type Sinks } from '@temporalio/workflow';

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

/** What the burst's floor workflow tells its worker (bench/burst.ts counts the videos started). */
export interface FloorSinks extends Sinks {
  floor: { started(): void };
}
const sinks = proxySinks<FloorSinks>();

/**
 * The burst's floor: a trivial workflow signal-with-started with one `uploaded` event, as the
 * bridge starts a video. It tells its worker it has seen the event (a sink, the first workflow
 * task's only output) and then stays open, as an uploaded video does, with no timer or activity.
 */
export async function floorOpenWorkflow(): Promise<void> {
  let seen = false;
  setHandler(floorEventSignal, () => {
    if (!seen) sinks.floor.started();
    seen = true;
  });
  setHandler(floorStatusQuery, () => ({ events: seen ? 1 : 0, done: false }));
  await condition(() => false);
}

/**
 * Every patch of the video workflow, in one place: what changed, and why it is behind
 * `patched()` (workflows that started before the change replay without it; see README,
 * "Changing workflow code"). Each patch a run meets costs a marker and an upsert of
 * `TemporalChangeVersion` in its history, so one change that touches several places shares one
 * patch id, and a patch is retired (deprecatePatch, then removed) once no run from before it
 * can still be open and its recorded histories are dropped.
 */
import { patched } from '@temporalio/workflow';

/** The owner's webhooks hear of each change (video-tracker.ts). */
export const USER_WEBHOOKS = 'user-webhooks';

/** Progress is written to Postgres every second instead of every five (projection-writer.ts). */
export const PROGRESS_EVERY_SECOND = 'progress-every-second';

/**
 * What a workflow task changed goes out once, at the end of the task: one upsert of the search
 * attributes where the video ended (visibility.ts), one call for all waiting webhook notices
 * (webhook-notices.ts). A burst of events in one signal then costs one of each, not one per event.
 */
export const ONCE_PER_TASK = 'once-per-task';

/**
 * Reprocess commands are paced: sent through the command task queue (rate-limited by the server,
 * REPROCESS_RATE) instead of the workflow's own, and alerts no longer wait behind them: the
 * outbox sends each kind in its own lane, in order (outbox.ts).
 */
export const PACED_COMMANDS = 'paced-commands';

/**
 * The video workflow's local activities run one at a time (local-activity-turns.ts): their results
 * reach the workflow in the same order live and on replay. Decided once, at a run's start.
 */
export const LOCAL_ACTIVITIES_IN_TURN = 'local-activities-in-turn';

/**
 * A run loads what Postgres knows of its video (or, continued, its stall policy) with a regular
 * activity instead of a local one, so the result is in the history in order with the signals that
 * came meanwhile (activities.ts). Decided once, at a run's start.
 */
export const LOAD_AS_ACTIVITY = 'load-as-activity';

/**
 * Every patch above is met at the start of a run, before its first local activity, instead of
 * where its code first runs. Why: when a workflow task carries queries and a local activity
 * finishes while they are answered, the SDK (core 1.24) completes the task with the activity's
 * marker and starts a new one, in which the workflow first hears of the result; replay delivers
 * the result in the earlier task. A patch first met just after that result was then recorded in
 * the later task but looked for in the earlier one on replay, and the history did not replay
 * (test/faults/failing-cases/). Met at the start, a patch is in the run's first task both times.
 * Runs from before this patch meet the others where they always did.
 */
export const PATCHES_AT_START = 'patches-at-start';

/** Meets every patch now (in a run's first activation), for runs that start with PATCHES_AT_START. */
function meetPatchesAtStart(): void {
  if (!patched(PATCHES_AT_START)) return;
  for (const patchId of [ONCE_PER_TASK, USER_WEBHOOKS, PROGRESS_EVERY_SECOND, PACED_COMMANDS]) patched(patchId);
}

/**
 * What a run decides once, at its start (in its first activation, so that a run from before a
 * patch decides on replay as it did): the patches above met, whether its local activities take
 * turns, whether it loads with a regular activity.
 */
export function decidedAtStart(): StartDecisions {
  meetPatchesAtStart();
  return { localActivitiesInTurn: patched(LOCAL_ACTIVITIES_IN_TURN), loadAsActivity: patched(LOAD_AS_ACTIVITY) };
}

export interface StartDecisions {
  localActivitiesInTurn: boolean;
  loadAsActivity: boolean;
}

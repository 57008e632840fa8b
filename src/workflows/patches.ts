/**
 * Every patch of the video workflow, in one place: what changed, and why it is behind
 * `patched()` (workflows that started before the change replay without it; see README,
 * "Changing workflow code"). Each patch a run meets costs a marker and an upsert of
 * `TemporalChangeVersion` in its history, so one change that touches several places shares one
 * patch id, and a patch is retired (deprecatePatch, then removed) once no run from before it
 * can still be open and its recorded histories are dropped.
 */

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

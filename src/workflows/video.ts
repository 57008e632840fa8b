/**
 * One long-lived workflow per video. Its state is the video's status (a VideoTracker): events
 * arrive as signals and go through the domain's status machine; the projection writer puts every
 * change in Postgres, the outbox sends alerts and reprocess commands, the stage timer notices a
 * video that stops moving. This file wires the handlers and runs the lifecycle: load, apply,
 * continue-as-new when the history grows, close a while after the video finished.
 * Deterministic: no I/O, no Node built-ins, time only from the SDK.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { OPERATOR_ACTION_TYPES, type OperatorActionType } from '../domain/operator-actions.js';
import type { VideoView } from '../domain/video.js';
import { eventSignal, eventsSignal, getStatusQuery, operatorUpdates, registerUpdate, type RegisterInput, type VideoWorkflowInput } from './definitions.js';
import { decidedAtStart } from './patches.js';
import { runStageTimer } from './stage-timer.js';
import { VideoTracker } from './video-tracker.js';

/** How long a finished video's workflow stays open to absorb late events before it closes. */
export const TERMINAL_LINGER_MS = 10 * 60_000;

/** Continue-as-new once a run's history has this many events (or when the server suggests it). */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;

export async function videoWorkflow(input: VideoWorkflowInput): Promise<VideoView> {
  const decided = decidedAtStart();
  const tracker = new VideoTracker(input.videoId, input.carried, decided);
  const lingerMs = input.lingerMs ?? TERMINAL_LINGER_MS;
  const maxHistory = input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AFTER_EVENTS;
  const ready = () => tracker.ready;

  setHandler(eventSignal, (event) => tracker.receive(event));
  setHandler(eventsSignal, (events) => {
    // Whatever arrives is validated event by event (drainInbox); a lone event is taken as one.
    for (const event of Array.isArray(events) ? events : [events]) tracker.receive(event);
  });
  setHandler(getStatusQuery, () => tracker.view());
  setHandler(
    registerUpdate,
    async (request) => {
      await condition(ready);
      return tracker.register(request);
    },
    { validator: (request: RegisterInput) => tracker.validateRegistration(request) },
  );
  for (const type of OPERATOR_ACTION_TYPES) {
    setHandler(
      operatorUpdates[type as 'retry'],
      async (request) => {
        await condition(ready);
        return tracker.operate(type, request);
      },
      { validator: (request) => tracker.validateOperatorAction(type satisfies OperatorActionType, request) },
    );
  }

  await tracker.load();
  void tracker.projection.run();
  void tracker.outbox.run();
  void tracker.webhooks.run();
  void tracker.visibility.run();
  void runStageTimer(tracker);

  const overgrown = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;
  /** Something to do before closing: an event to apply, or a history to continue as new. */
  const interrupted = () => tracker.hasMail || overgrown();

  /**
   * The closing protocol of a finished video: linger until `closeAt` to absorb late events, then
   * let everything reach Postgres and every alert go out (writing progress at once, not
   * batched), then let the handlers finish. True when the workflow may close now; false when an
   * event or a continue-as-new interrupted it (the caller goes round again; `closeAt` stays, so
   * late events do not push the close back).
   */
  async function closeWhenSettled(closeAt: number): Promise<boolean> {
    const remaining = closeAt - Date.now();
    if (remaining > 0 && (await condition(interrupted, remaining))) return false;
    tracker.projection.closing = true;
    await condition(() => tracker.settled || interrupted());
    tracker.projection.closing = false;
    if (!tracker.settled || interrupted()) return false;
    await condition(allHandlersFinished);
    return tracker.settled && !tracker.hasMail;
  }

  /** Continue-as-new without waiting for work in flight: it is carried and done again (idempotently). */
  async function carryOver() {
    await condition(allHandlersFinished);
    tracker.drainInbox();
    return continueAsNew<typeof videoWorkflow>({ ...input, carried: tracker.carried() });
  }

  let closeAt: number | undefined;
  for (;;) {
    tracker.drainInbox();
    if (overgrown()) return carryOver();
    if (!tracker.finished) {
      await condition(() => interrupted() || tracker.finished);
      continue;
    }
    closeAt ??= Date.now() + lingerMs;
    if (await closeWhenSettled(closeAt)) return tracker.view();
  }
}

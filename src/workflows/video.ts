/**
 * One long-lived workflow per video. Its state is the video's status: events arrive as signals,
 * go through the domain's status machine, and every change is projected to Postgres by an
 * activity. Timers watch for a stage that overruns (see src/domain/stall.ts): alerts, reprocess
 * commands and the final timeout go out through activities. Deterministic: no I/O, no Node
 * built-ins, time only from the SDK.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { VideoActivities } from '../activities/index.js';
import { parseDuration } from '../domain/duration.js';
import {
  describeIssues,
  parseVideoEvent,
  registrationEvent,
  registrationSchema,
  type VideoEvent,
  type VideoEventInput,
} from '../domain/events.js';
import {
  afterEvent,
  applyOperatorAction,
  describeWatch,
  nextWakeup,
  onWakeup,
  refuseOperatorAction,
  type OperatorAction,
  type StallPolicy,
  type WatchAction,
  type WatchResult,
} from '../domain/stall.js';
import {
  appendNote,
  applyEvent,
  CONTINUE_AS_NEW_AFTER_EVENTS,
  describe,
  isTerminal,
  newTracker,
  newVideo,
  registrationRefusal,
  PROGRESS_PERSIST_INTERVAL_MS,
  TERMINAL_LINGER_MS,
  toView,
  type HistoryRecord,
  type TrackerState,
  type VideoView,
} from '../domain/video.js';
import {
  eventSignal,
  extendUpdate,
  failUpdate,
  getStatusQuery,
  OPERATOR_ACTION_REFUSED,
  registerUpdate,
  retryUpdate,
  VIDEO_OWNED_BY_ANOTHER_USER,
  VideoStalledKey,
  VideoStatusKey,
  VideoUserIdKey,
  type RegisterInput,
  type RegisterResult,
  type VideoWorkflowInput,
} from './definitions.js';

// Local activities: short Postgres calls run by the same worker, with no extra round trips to
// the Temporal server per call (the pipeline's hot path). Retried with backoff by the worker.
const { loadVideo, stallPolicy } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// The projection must eventually be written: retried without limit until Postgres answers,
// unless the activity says the data itself is refused (a non-retryable failure).
const { recordVideo } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '15s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' },
});

// Alerts and commands: regular activities (visible in the Web UI), retried with backoff for
// up to an hour (a webhook or broker outage), then given up with an error in the log.
const { sendAlert, requestReprocess } = proxyActivities<VideoActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

const nowIso = () => new Date().toISOString();

export async function videoWorkflow(input: VideoWorkflowInput): Promise<VideoView> {
  const { videoId } = input;
  const lingerMs = input.lingerMs ?? TERMINAL_LINGER_MS;
  const maxHistory = input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AFTER_EVENTS;

  let tracker: TrackerState | undefined = input.carried?.tracker;
  /** The stuck-video policy (from the worker, once loaded; handlers wait for it). */
  let policy: StallPolicy | undefined;
  /** Signals received, not yet applied (they wait while the stored state loads). */
  const inbox: VideoEventInput[] = [];
  /** History records not yet in Postgres, and whether one of them must be written now. */
  let unsaved: HistoryRecord[] = input.carried?.unsaved ?? [];
  /** Records being written right now (carried over a continue-as-new with the unsaved ones). */
  let writing: HistoryRecord[] = [];
  let urgent = unsaved.length > 0;
  /** Alerts and reprocess commands to carry out, in order, and the one in progress. */
  const outbox: WatchAction[] = [...(input.carried?.outbox ?? [])];
  let sending: WatchAction | undefined;
  /** Set while closing: write at once instead of batching progress. */
  let closing = false;
  let lastFlushAt = 0;
  let published = { status: '', userId: '', stalled: false };

  const current = (): TrackerState => {
    if (!tracker) throw new Error('video state is not loaded yet');
    return tracker;
  };
  const ready = () => tracker !== undefined && policy !== undefined;
  const currentPolicy = (): StallPolicy => {
    if (!policy) throw new Error('stall policy is not loaded yet');
    return policy;
  };
  /** Everything is in Postgres and every alert and command went out. */
  const settled = () => unsaved.length === 0 && writing.length === 0 && outbox.length === 0 && !sending;

  /** Search attributes and the Web UI's current details follow the state. */
  const publish = () => {
    const { video } = current();
    setCurrentDetails(describe(video) + describeWatch(video));
    const next = { status: video.status, userId: video.userId ?? '', stalled: video.stalled };
    if (next.status === published.status && next.userId === published.userId && next.stalled === published.stalled) return;
    upsertSearchAttributes([
      { key: VideoStatusKey, value: video.status },
      { key: VideoStalledKey, value: video.stalled },
      ...(video.userId ? [{ key: VideoUserIdKey, value: video.userId }] : []),
    ]);
    published = next;
  };

  /** Takes in what the watch decided: the new state, history notes, alerts and commands. */
  const watch = (result: WatchResult, now: string) => {
    let state: TrackerState = { ...current(), video: { ...result.video, version: current().video.version } };
    for (const note of result.notes) {
      const eventId = `vidproc:${note.type}:${state.video.version + 1}`;
      const appended = appendNote(state, state.video, { eventId, source: 'vidproc', ...note }, now);
      state = appended.state;
      unsaved.push(appended.record);
      urgent = true;
    }
    tracker = state;
    outbox.push(...result.actions);
  };

  /** Applies one validated event; returns whether it changed anything. */
  const apply = (event: VideoEvent): boolean => {
    const now = nowIso();
    const before = current().video;
    const result = applyEvent(current(), event, now);
    tracker = result.state;
    unsaved.push(result.record);
    if (result.outcome.kind === 'status' || result.outcome.kind === 'metadata') urgent = true;
    if (result.outcome.applied) {
      watch(afterEvent(before, current().video, now, currentPolicy()), now);
      publish();
    } else {
      log.info('event ignored', { videoId, eventId: event.id, type: event.type, reason: result.outcome.reason });
    }
    return result.outcome.applied;
  };

  const drainInbox = () => {
    while (inbox.length > 0) {
      const raw = inbox.shift();
      const parsed = parseVideoEvent(raw);
      if (!parsed.ok) {
        log.warn('invalid event signal dropped', { videoId, reason: parsed.reason });
      } else if (parsed.event.subject !== videoId) {
        log.warn('event for another video dropped', { videoId, subject: parsed.event.subject });
      } else {
        apply(parsed.event);
      }
    }
  };

  /** An operator's action, recorded in the history with who did it. */
  const operate = (action: OperatorAction, by: string): VideoView => {
    drainInbox();
    const refusal = refuseOperatorAction(current().video, action);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, OPERATOR_ACTION_REFUSED);
    const now = nowIso();
    const result = applyOperatorAction(current().video, action, now, currentPolicy());
    const eventId = `operator:${currentUpdateInfo()?.id ?? now}`;
    const appended = appendNote(current(), result.video, { eventId, type: `vidproc.operator.${action.type}`, source: `operator:${by}`, reason: result.reason, data: action }, now);
    tracker = appended.state;
    unsaved.push(appended.record);
    urgent = true;
    outbox.push(...result.actions);
    publish();
    return toView(current().video);
  };

  /** Refuses an operator action in the validator, so a refused one leaves no trace in history. */
  const validateOperator = (by: unknown, action: () => OperatorAction) => {
    if (typeof by !== 'string' || by.trim() === '') throw ApplicationFailure.nonRetryable('say who you are (by)', OPERATOR_ACTION_REFUSED);
    let parsed: OperatorAction;
    try {
      parsed = action();
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, OPERATOR_ACTION_REFUSED);
    }
    const refusal = tracker && refuseOperatorAction(tracker.video, parsed);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, OPERATOR_ACTION_REFUSED);
  };

  setHandler(eventSignal, (event) => {
    inbox.push(event);
  });

  setHandler(getStatusQuery, () => toView(tracker?.video ?? newVideo(videoId, workflowInfo().startTime.toISOString())));

  setHandler(
    registerUpdate,
    async (input: RegisterInput): Promise<RegisterResult> => {
      await condition(ready);
      drainInbox();
      const before = current().video;
      const refusal = registrationRefusal(before, input.userId);
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, VIDEO_OWNED_BY_ANOTHER_USER);
      apply(registrationEvent(videoId, input.userId, input.fileName, nowIso()));
      return { created: before.userId === null, view: toView(current().video) };
    },
    {
      validator: (input: RegisterInput) => {
        const parsed = registrationSchema.safeParse(input);
        if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidRegistration');
        const refusal = tracker && registrationRefusal(tracker.video, input.userId);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, VIDEO_OWNED_BY_ANOTHER_USER);
      },
    },
  );

  setHandler(
    retryUpdate,
    async ({ by }) => {
      await condition(ready);
      return operate({ type: 'retry' }, by);
    },
    { validator: ({ by }) => validateOperator(by, () => ({ type: 'retry' })) },
  );
  setHandler(
    failUpdate,
    async ({ by, reason }) => {
      await condition(ready);
      return operate({ type: 'fail', reason }, by);
    },
    { validator: ({ by, reason }) => validateOperator(by, () => ({ type: 'fail', reason: String(reason ?? '') })) },
  );
  setHandler(
    extendUpdate,
    async ({ by, duration }) => {
      await condition(ready);
      return operate({ type: 'extend', durationMs: parseDuration(duration) }, by);
    },
    { validator: ({ by, duration }) => validateOperator(by, () => ({ type: 'extend', durationMs: parseDuration(String(duration)) })) },
  );

  /** Writes one batch; a batch Postgres refuses is logged and the row is written without it. */
  const write = async (records: HistoryRecord[]) => {
    try {
      await recordVideo({ video: current().video, records });
    } catch (err) {
      // Only a non-retryable failure gets here (the data was refused; the edge limits should
      // prevent it). Keep the projection's row in step at least.
      log.error('projection write refused; retrying without its history records', {
        videoId,
        error: String(err),
        eventIds: records.map((r) => r.eventId),
      });
      try {
        await recordVideo({ video: current().video, records: [] });
      } catch (rowErr) {
        log.error('projection row refused', { videoId, error: String(rowErr) });
      }
    }
  };

  /** Writes the projection: status changes at once, progress at most every few seconds. */
  const flushLoop = async (): Promise<never> => {
    for (;;) {
      await condition(() => unsaved.length > 0);
      if (!urgent && !closing) {
        const wait = lastFlushAt + PROGRESS_PERSIST_INTERVAL_MS - Date.now();
        if (wait > 0) await condition(() => urgent || closing, wait);
      }
      writing = unsaved;
      unsaved = [];
      urgent = false;
      await write(writing);
      writing = [];
      lastFlushAt = Date.now();
    }
  };

  /** Carries out alerts and reprocess commands, one at a time, in order. */
  const sendLoop = async (): Promise<never> => {
    for (;;) {
      await condition(() => outbox.length > 0);
      const action = outbox.shift()!;
      sending = action;
      try {
        if (action.type === 'alert') await sendAlert(action.alert);
        else await requestReprocess({ videoId, attempt: action.attempt, reason: action.reason });
      } catch (err) {
        log.error('gave up on an alert or command', { videoId, action: action.type, error: String(err) });
      }
      sending = undefined;
    }
  };

  /**
   * The stage timers. One timer per wake-up: a deadline that moves later (every applied event
   * re-arms it) is looked at when the current timer fires, so events cost no timers; only a
   * wake-up that moves earlier (an operator's retry after an extension) starts a new one.
   */
  const watchLoop = async (): Promise<never> => {
    const wakeAt = () => nextWakeup(current().video, currentPolicy());
    for (;;) {
      const target = wakeAt();
      if (target === null) {
        await condition(() => wakeAt() !== null);
        continue;
      }
      const wait = target - Date.now();
      if (wait > 0) {
        await condition(() => {
          const next = wakeAt();
          return next !== null && next < target;
        }, wait);
        continue;
      }
      const now = nowIso();
      watch(onWakeup(current().video, now, currentPolicy()), now);
      publish();
    }
  };

  /** Continue-as-new without waiting for work in flight: it is carried and done again (idempotently). */
  const carryOver = async () => {
    await condition(allHandlersFinished);
    drainInbox();
    return continueAsNew<typeof videoWorkflow>({
      ...input,
      carried: {
        tracker: current(),
        unsaved: [...writing, ...unsaved],
        outbox: [...(sending ? [sending] : []), ...outbox],
      },
    });
  };

  if (tracker) {
    policy = await stallPolicy();
  } else {
    // A new run: start from the stored projection, if any (a workflow closed after its video
    // finished, then reopened by a late event, must not reopen the video).
    const loaded = await loadVideo(videoId);
    policy = loaded.policy;
    tracker = loaded.stored
      ? { video: loaded.stored.video, seenEventIds: loaded.stored.seenEventIds }
      : newTracker(newVideo(videoId, nowIso()));
  }
  publish();
  void flushLoop();
  void sendLoop();
  void watchLoop();

  const overgrown = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;
  /** When a finished video's workflow closes (late events do not push it back). */
  let closeAt: number | undefined;
  for (;;) {
    drainInbox();
    if (overgrown()) return carryOver();
    if (!isTerminal(current().video.status)) {
      await condition(() => inbox.length > 0 || overgrown() || isTerminal(current().video.status));
      continue;
    }
    closeAt ??= Date.now() + lingerMs;
    const remaining = closeAt - Date.now();
    if (remaining > 0 && (await condition(() => inbox.length > 0 || overgrown(), remaining))) continue;
    // Close once everything is in Postgres and every alert went out, so the projection is final.
    closing = true;
    await condition(() => settled() || inbox.length > 0 || overgrown());
    closing = false;
    if (!settled() || inbox.length > 0 || overgrown()) continue;
    await condition(allHandlersFinished);
    if (settled() && inbox.length === 0) return toView(current().video);
  }
}

/**
 * One long-lived workflow per video. Its state is the video's status: events arrive as signals,
 * go through the domain's status machine, and every change is projected to Postgres by an
 * activity. Deterministic: no I/O, no Node built-ins, time only from the SDK.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { VideoActivities } from '../activities/index.js';
import {
  describeIssues,
  parseVideoEvent,
  registrationEvent,
  registrationSchema,
  type VideoEvent,
  type VideoEventInput,
} from '../domain/events.js';
import {
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
  getStatusQuery,
  registerUpdate,
  VIDEO_OWNED_BY_ANOTHER_USER,
  VideoStatusKey,
  VideoUserIdKey,
  type RegisterInput,
  type RegisterResult,
  type VideoWorkflowInput,
} from './definitions.js';

// Local activities: short Postgres calls run by the same worker, with no extra round trips to
// the Temporal server per call (the pipeline's hot path). Retried with backoff by the worker.
const { loadVideo } = proxyLocalActivities<VideoActivities>({
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

const nowIso = () => new Date().toISOString();

export async function videoWorkflow(input: VideoWorkflowInput): Promise<VideoView> {
  const { videoId } = input;
  const lingerMs = input.lingerMs ?? TERMINAL_LINGER_MS;
  const maxHistory = input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AFTER_EVENTS;

  let tracker: TrackerState | undefined = input.carried?.tracker;
  /** Signals received, not yet applied (they wait while the stored state loads). */
  const inbox: VideoEventInput[] = [];
  /** History records not yet in Postgres, and whether one of them must be written now. */
  let unsaved: HistoryRecord[] = input.carried?.unsaved ?? [];
  let urgent = unsaved.length > 0;
  /** Set while closing: write at once instead of batching progress. */
  let closing = false;
  let lastFlushAt = 0;
  let published = { status: '', userId: '' };

  const current = (): TrackerState => {
    if (!tracker) throw new Error('video state is not loaded yet');
    return tracker;
  };

  /** Applies one validated event; returns whether it changed anything. */
  const apply = (event: VideoEvent): boolean => {
    const result = applyEvent(current(), event, nowIso());
    tracker = result.state;
    unsaved.push(result.record);
    if (result.outcome.kind === 'status' || result.outcome.kind === 'metadata') urgent = true;
    if (result.outcome.applied) publish();
    else log.info('event ignored', { videoId, eventId: event.id, type: event.type, reason: result.outcome.reason });
    return result.outcome.applied;
  };

  /** Search attributes and the Web UI's current details follow the state. */
  const publish = () => {
    const { video } = current();
    setCurrentDetails(describe(video));
    const next = { status: video.status, userId: video.userId ?? '' };
    if (next.status === published.status && next.userId === published.userId) return;
    upsertSearchAttributes([
      { key: VideoStatusKey, value: video.status },
      ...(video.userId ? [{ key: VideoUserIdKey, value: video.userId }] : []),
    ]);
    published = next;
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

  setHandler(eventSignal, (event) => {
    inbox.push(event);
  });

  setHandler(getStatusQuery, () => toView(tracker?.video ?? newVideo(videoId, workflowInfo().startTime.toISOString())));

  setHandler(
    registerUpdate,
    async (input: RegisterInput): Promise<RegisterResult> => {
      await condition(() => tracker !== undefined);
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

  /** Records being written right now (carried over a continue-as-new with the unsaved ones). */
  let writing: HistoryRecord[] = [];
  const written = () => unsaved.length === 0 && writing.length === 0;

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

  /** Continue-as-new without waiting for a write in flight: it is carried and re-written (idempotent). */
  const carryOver = async () => {
    await condition(allHandlersFinished);
    drainInbox();
    return continueAsNew<typeof videoWorkflow>({
      ...input,
      carried: { tracker: current(), unsaved: [...writing, ...unsaved] },
    });
  };

  if (!tracker) {
    // A new run: start from the stored projection, if any (a workflow closed after its video
    // finished, then reopened by a late event, must not reopen the video).
    const stored = await loadVideo(videoId);
    tracker = stored
      ? { video: stored.video, seenEventIds: stored.seenEventIds }
      : newTracker(newVideo(videoId, nowIso()));
  }
  publish();
  void flushLoop();

  const overgrown = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;
  /** When a finished video's workflow closes (late events do not push it back). */
  let closeAt: number | undefined;
  for (;;) {
    drainInbox();
    if (overgrown()) return carryOver();
    if (!isTerminal(current().video.status)) {
      await condition(() => inbox.length > 0 || overgrown());
      continue;
    }
    closeAt ??= Date.now() + lingerMs;
    const remaining = closeAt - Date.now();
    if (remaining > 0 && (await condition(() => inbox.length > 0 || overgrown(), remaining))) continue;
    // Close once everything is in Postgres, so the projection is final.
    closing = true;
    await condition(() => written() || inbox.length > 0 || overgrown());
    closing = false;
    if (!written() || inbox.length > 0 || overgrown()) continue;
    await condition(allHandlersFinished);
    if (written() && inbox.length === 0) return toView(current().video);
  }
}

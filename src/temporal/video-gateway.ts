/**
 * The one place that talks to video workflows from outside (the bridge and the API):
 * signal-with-start for events, update-with-start for registrations, queries for status, and a
 * plain start to rebuild a video's workflow from the projection (`vidproc rebuild-workflows`).
 */
import {
  isGrpcServiceError,
  QueryRejectedError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { VideoEvent, VideoEventInput } from '../domain/event-schemas.js';
import { describeIssues } from '../domain/event-schemas.js';
import { operatorRequestSchemas, type OperatorRequest } from '../domain/operator-requests.js';
import type { VideoView } from '../domain/video.js';
import {
  eventSignal,
  eventsSignal,
  getStatusQuery,
  MAX_EVENTS_PER_SIGNAL,
  OPERATOR_ACTION_REFUSED,
  operatorUpdates,
  registerUpdate,
  VIDEO_OWNED_BY_ANOTHER_USER,
  VIDEO_WORKFLOW_TYPE,
  videoIdOf,
  workflowIdFor,
  type RegisterResult,
  type VideoWorkflowInput,
} from '../workflows/definitions.js';
import type { videoWorkflow } from '../workflows/video.js';

export class VideoOwnedByAnotherUserError extends Error {
  override name = 'VideoOwnedByAnotherUserError';
}

/** An operator action the workflow refused (its validator says why). */
export class OperatorActionRefusedError extends Error {
  override name = 'OperatorActionRefusedError';
}

/**
 * Temporal answered and said no to these events (say, an argument it does not accept, a limit
 * of the workflow's): sending them again as they are is refused again. Anything else that fails
 * a signal (Temporal unreachable, overloaded, a deadline) is not a refusal: it passes.
 */
export class EventsRefusedError extends Error {
  override name = 'EventsRefusedError';
}

/** gRPC codes with which Temporal refuses the request itself, not for want of the service. */
const REFUSAL_CODES = new Set([
  3, // INVALID_ARGUMENT
  6, // ALREADY_EXISTS
  9, // FAILED_PRECONDITION
  11, // OUT_OF_RANGE
]);

/** Temporal's refusal in `err` (its own words), if it is one; NOT_FOUND, PERMISSION_DENIED and the like are the configuration's, not the message's. */
function temporalRefusal(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && REFUSAL_CODES.has(e.code)) return e.details || e.message;
  }
  return undefined;
}

/** Unwraps an update failure: the workflow's own refusal, as `refusal`; anything else as is. */
function refusalOf(err: unknown, type: string): string | undefined {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === type
    ? err.cause.message
    : undefined;
}

export interface StalledVideo {
  videoId: string;
  view: VideoView | undefined;
}

export type LiveStatus =
  | { kind: 'live'; view: VideoView }
  | { kind: 'not-found' }
  | { kind: 'closed' }
  | { kind: 'unavailable'; error: unknown };

/** What `restore` found: it started the video's workflow, or one was running already (left as it is). */
export type RestoreOutcome = 'started' | 'running';

export interface VideoGatewayOptions {
  taskQueue: string;
  /** Defaults for new workflows (tests shorten the linger and continue-as-new thresholds). */
  workflowDefaults?: Omit<VideoWorkflowInput, 'videoId' | 'carried'>;
}

export function createVideoGateway(client: Client, { taskQueue, workflowDefaults = {} }: VideoGatewayOptions) {
  const startOptions = (videoId: string) => ({
    workflowId: workflowIdFor(videoId),
    taskQueue,
    args: [{ videoId, ...workflowDefaults }] as [VideoWorkflowInput],
    staticSummary: `Video ${videoId}`,
    staticDetails: 'Tracks the processing status of one uploaded video (vidproc).',
  });

  /** The live view from the workflow, if it is open and answers before the deadline. */
  const liveStatus = async (videoId: string, timeoutMs: number): Promise<LiveStatus> => {
    const handle = client.workflow.getHandle(workflowIdFor(videoId));
    try {
      const view = await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(getStatusQuery));
      return { kind: 'live', view };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { kind: 'not-found' };
      if (err instanceof QueryRejectedError) return { kind: 'closed' };
      return { kind: 'unavailable', error: err };
    }
  };

  /**
   * Delivers one video's events, in order, in one signal (starting its workflow if there is
   * none): all accepted or none. A lone event goes as the `event` signal every worker knows.
   */
  const sendEvents = async (events: VideoEvent[], timeoutMs = 10_000): Promise<void> => {
    const videoId = events[0]?.subject;
    if (videoId === undefined) return;
    if (events.length > MAX_EVENTS_PER_SIGNAL) throw new RangeError(`at most ${MAX_EVENTS_PER_SIGNAL} events per signal, not ${events.length}`);
    if (events.some((event) => event.subject !== videoId)) throw new RangeError('events for several videos cannot share a signal');
    const options = startOptions(videoId);
    try {
      // Bounded, so a caller (the bridge) can back off and try again instead of hanging.
      await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        events.length === 1
          ? client.workflow.signalWithStart<typeof videoWorkflow, [VideoEventInput]>(VIDEO_WORKFLOW_TYPE, { ...options, signal: eventSignal, signalArgs: [events[0]!] })
          : client.workflow.signalWithStart<typeof videoWorkflow, [VideoEventInput[]]>(VIDEO_WORKFLOW_TYPE, { ...options, signal: eventsSignal, signalArgs: [events] }),
      );
    } catch (err) {
      const refusal = temporalRefusal(err);
      throw refusal === undefined ? err : new EventsRefusedError(`Temporal refused the signal: ${refusal}`, { cause: err });
    }
  };

  return {
    /** Delivers a processing event, starting the video's workflow if there is none. */
    sendEvent: (event: VideoEvent, timeoutMs?: number) => sendEvents([event], timeoutMs),

    sendEvents,

    /** Registers an upload for `userId`, starting the workflow if needed. */
    async register(videoId: string, userId: string, fileName?: string, timeoutMs = 10_000): Promise<RegisterResult> {
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof videoWorkflow>(VIDEO_WORKFLOW_TYPE, {
        ...startOptions(videoId),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      try {
        // Bounded: with no worker polling, an update would wait indefinitely.
        return await client.connection.withDeadline(Date.now() + timeoutMs, () =>
          client.workflow.executeUpdateWithStart(registerUpdate, {
            args: [fileName === undefined ? { userId } : { userId, fileName }],
            startWorkflowOperation,
          }),
        );
      } catch (err) {
        const refusal = refusalOf(err, VIDEO_OWNED_BY_ANOTHER_USER);
        throw refusal ? new VideoOwnedByAnotherUserError(refusal) : err;
      }
    },

    /** An operator action on a running video's workflow; refused ones throw OperatorActionRefusedError. */
    async operate(videoId: string, { type, ...request }: OperatorRequest): Promise<VideoView> {
      // Checked here too (the workflow checks again), so a bad request is refused with zod's words.
      const checked = operatorRequestSchemas[type].safeParse(request);
      if (!checked.success) throw new OperatorActionRefusedError(describeIssues(checked.error));
      const handle = client.workflow.getHandle(workflowIdFor(videoId));
      try {
        return await handle.executeUpdate(operatorUpdates[type as 'retry'], { args: [request] });
      } catch (err) {
        const refusal = refusalOf(err, OPERATOR_ACTION_REFUSED);
        if (refusal) throw new OperatorActionRefusedError(refusal);
        if (err instanceof WorkflowNotFoundError) throw new OperatorActionRefusedError(`no running workflow for video ${videoId}`);
        throw err;
      }
    },

    /** Stalled videos, from Temporal visibility (VideoStalled = true), with their live views. */
    async listStalled(): Promise<StalledVideo[]> {
      const found: StalledVideo[] = [];
      for await (const execution of client.workflow.list({ query: 'VideoStalled = true AND ExecutionStatus = "Running"' })) {
        const videoId = videoIdOf(execution.workflowId);
        if (videoId === null) continue;
        const live = await liveStatus(videoId, 5_000);
        found.push({ videoId, view: live.kind === 'live' ? live.view : undefined });
      }
      return found;
    },

    /**
     * Starts the video's workflow unless one is running (which is left untouched: 'running').
     * A new run starts from the projection (loadVideo): its status, history, deduplication ids,
     * stage deadline and stall state, so its timers fire when the stored ones were due.
     */
    async restore(videoId: string, timeoutMs = 10_000): Promise<RestoreOutcome> {
      try {
        await client.connection.withDeadline(Date.now() + timeoutMs, () =>
          client.workflow.start<typeof videoWorkflow>(VIDEO_WORKFLOW_TYPE, { ...startOptions(videoId), workflowIdConflictPolicy: 'FAIL' }),
        );
        return 'started';
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
        throw err;
      }
    },

    /** Whether the video's workflow is running now (what `restore` would leave alone). */
    async isRunning(videoId: string, timeoutMs = 10_000): Promise<boolean> {
      try {
        const { status } = await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowIdFor(videoId)).describe());
        return status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    liveStatus,
  };
}

export type VideoGateway = ReturnType<typeof createVideoGateway>;

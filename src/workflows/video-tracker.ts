/**
 * A video's live state inside its workflow, and every way it changes. Each change (an event, a
 * stall decision, an operator's action) goes through one commit path: the new state, its history
 * lines to the projection writer, what it sends to the outbox, what it tells the owner's webhooks,
 * then what operators see.
 */
import { ApplicationFailure, currentUpdateInfo, log, patched, workflowInfo } from '@temporalio/workflow';
import { checkRegistration, checkVideoEvent } from '../domain/contract-checks.js';
import type { VideoEvent, VideoEventInput } from '../domain/event-schemas.js';
import { registrationEvent } from '../domain/registration.js';
import { applyOperatorAction, operatorActionOverLimit, parseOperatorRequest, readAcceptedOperatorRequest, refuseOperatorAction, type OperatorActionType } from '../domain/operator-actions.js';
import { afterEvent, nextWakeup, onWakeup, type Dispatch, type StallDecision, type StallPolicy } from '../domain/stall.js';
import {
  answeredView,
  appendNote,
  applyEvent,
  isTerminal,
  newTracker,
  newVideo,
  registrationRefusal,
  toView,
  type HistoryRecord,
  type TrackerState,
  type VideoState,
  type VideoView,
} from '../domain/video.js';
import { webhookEventTypes } from '../domain/webhook-events.js';
import { loadVideo, loadVideoInHistory, stallPolicy, stallPolicyInHistory } from './activities.js';
import { OPERATOR_ACTION_REFUSED, VIDEO_OWNED_BY_ANOTHER_USER, type CarriedState, type RegisterInput, type RegisterResult } from './definitions.js';
import { LocalActivityTurns } from './local-activity-turns.js';
import { Outbox } from './outbox.js';
import { USER_WEBHOOKS, type StartDecisions } from './patches.js';
import { ProjectionWriter } from './projection-writer.js';
import { currentTrace } from './trace-context.js';
import type { StageClock } from './stage-timer.js';
import { Visibility } from './visibility.js';
import { WebhookNotices } from './webhook-notices.js';

const nowIso = () => new Date().toISOString();
const refused = (reason: string) => ApplicationFailure.nonRetryable(reason, OPERATOR_ACTION_REFUSED);

export class VideoTracker implements StageClock {
  readonly videoId: string;
  private state: TrackerState | undefined;
  /** The stuck-video policy (from the worker, once loaded; handlers wait for it). */
  private policy: StallPolicy | undefined;
  /** Signals received, not yet applied (they wait while the stored state loads). */
  private readonly inbox: VideoEventInput[] = [];
  /** The trace each waiting event came in (tracing on), so its writes join that trace. */
  private readonly inboxTraces: unknown[] = [];
  /** The trace of the event being applied. */
  private applying: unknown;
  readonly visibility = new Visibility();
  readonly projection: ProjectionWriter;
  readonly outbox: Outbox;
  readonly webhooks: WebhookNotices;

  /** How this run loads (LOAD_AS_ACTIVITY): a regular activity, or a local one as runs from before it. */
  private readonly loads: { loadVideo: typeof loadVideo; stallPolicy: typeof stallPolicy };

  constructor(videoId: string, carried: CarriedState | undefined, { localActivitiesInTurn, loadAsActivity }: StartDecisions) {
    this.videoId = videoId;
    this.loads = loadAsActivity ? { loadVideo: loadVideoInHistory, stallPolicy: stallPolicyInHistory } : { loadVideo, stallPolicy };
    this.state = carried?.tracker;
    const turns = new LocalActivityTurns(localActivitiesInTurn);
    this.projection = new ProjectionWriter(videoId, () => this.video, turns, carried?.unsaved);
    this.outbox = new Outbox(videoId, carried?.outbox);
    this.webhooks = new WebhookNotices(videoId, turns, carried?.webhooks);
  }

  /**
   * A continued run has its state and asks only for the policy; a new run starts from the stored
   * projection, if any (a workflow closed after its video finished, then reopened by a late
   * event, must not reopen the video).
   */
  async load(): Promise<void> {
    if (this.state) {
      this.policy = await this.loads.stallPolicy();
    } else {
      // With the run's id: a retry of this first task must get what the run started from, not its own writes.
      const { runId } = workflowInfo();
      const loaded = await this.loads.loadVideo(this.videoId, runId);
      this.policy = loaded.policy;
      this.state = loaded.stored
        ? { video: loaded.stored.video, seenEventIds: loaded.stored.seenEventIds }
        : newTracker(newVideo(this.videoId, nowIso()));
      this.projection.startedFrom({ runId, base: loaded.stored?.video ?? null });
    }
    this.visibility.show(this.video);
  }

  get ready(): boolean {
    return this.state !== undefined && this.policy !== undefined;
  }
  get video(): VideoState {
    if (!this.state) throw new Error('video state is not loaded yet');
    return this.state.video;
  }
  private get stallPolicy(): StallPolicy {
    if (!this.policy) throw new Error('stall policy is not loaded yet');
    return this.policy;
  }
  get finished(): boolean {
    return isTerminal(this.video.status);
  }
  /** Events are waiting to be applied. */
  get hasMail(): boolean {
    return this.inbox.length > 0;
  }
  /** Everything is in Postgres, every alert, command and webhook notice went out, and operators see where it ended. */
  get settled(): boolean {
    return this.projection.idle && this.outbox.idle && this.webhooks.idle && this.visibility.idle;
  }

  /**
   * The video as this workflow knows it. Before its stored state has loaded (Postgres out when the
   * run started, its load retrying on a timer) the workflow does not know the video's past, so it
   * refuses to answer rather than describe a new, ownerless video: the reader gets a clear
   * "not available" (the API's 503), never a wrong status or a 404 for a video that exists.
   */
  view(): VideoView {
    if (!this.state) throw new Error(`video ${this.videoId}: its stored state is still loading`);
    return answeredView(this.state.video, this.projection.written, this.projection.inFlight);
  }

  carried(): CarriedState {
    const webhooks = this.webhooks.pending();
    return { tracker: this.state!, unsaved: this.projection.pending(), outbox: this.outbox.pending(), ...(webhooks.length ? { webhooks } : {}) };
  }

  receive(event: VideoEventInput): void {
    this.inbox.push(event);
    this.inboxTraces.push(currentTrace());
  }

  drainInbox(): void {
    while (this.inbox.length > 0) {
      this.applying = this.inboxTraces.shift();
      const parsed = checkVideoEvent(this.inbox.shift());
      if (!parsed.ok) {
        log.warn('invalid event signal dropped', { videoId: this.videoId, reason: parsed.reason });
      } else if (parsed.event.subject !== this.videoId) {
        log.warn('event for another video dropped', { videoId: this.videoId, subject: parsed.event.subject });
      } else {
        this.apply(parsed.event);
      }
    }
    this.applying = undefined;
  }

  /** Refuses a registration in the update's validator, so a refused one leaves no trace in history. */
  validateRegistration(input: RegisterInput): void {
    const checked = checkRegistration(input);
    if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.reason, 'InvalidRegistration');
    const refusal = this.state && registrationRefusal(this.state.video, input.userId);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, VIDEO_OWNED_BY_ANOTHER_USER);
  }

  register(input: RegisterInput): RegisterResult {
    this.drainInbox();
    const before = this.video;
    const refusal = registrationRefusal(before, input.userId);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, VIDEO_OWNED_BY_ANOTHER_USER);
    this.apply(registrationEvent(this.videoId, input.userId, input.fileName, nowIso()));
    return { created: before.userId === null, view: toView(this.video) };
  }

  /** Refuses an operator action in the update's validator, so a refused one leaves no trace in history. */
  validateOperatorAction(type: OperatorActionType, input: unknown): void {
    const request = parseOperatorRequest(type, input);
    if (!request.ok) throw refused(request.reason);
    const overLimit = operatorActionOverLimit(request.action);
    if (overLimit) throw refused(overLimit);
    const refusal = this.state && refuseOperatorAction(this.state.video, request.action);
    if (refusal) throw refused(refusal);
  }

  /** An operator's action, recorded in the history with who did it. */
  operate(type: OperatorActionType, input: unknown): VideoView {
    const request = readAcceptedOperatorRequest(type, input);
    this.drainInbox();
    if (!request.ok) throw refused(request.reason);
    const { by, action } = request;
    const refusal = refuseOperatorAction(this.video, action);
    if (refusal) throw refused(refusal);
    const now = nowIso();
    const result = applyOperatorAction(this.video, action, now, this.stallPolicy);
    const eventId = `operator:${currentUpdateInfo()?.id ?? now}`;
    const note = { eventId, type: `vidproc.operator.${action.type}`, source: `operator:${by}`, reason: result.reason, data: action };
    const appended = appendNote(this.state!, result.video, note, now);
    this.commit(appended.state, [appended.record], result.dispatches, true);
    return toView(this.video);
  }

  nextWakeup(): number | null {
    return nextWakeup(this.video, this.stallPolicy);
  }

  /** A stage deadline or a repeat alert is due: stall, repeat, reprocess or time out. */
  wake(): void {
    const now = nowIso();
    this.decided(this.state!, onWakeup(this.video, now, this.stallPolicy), now);
  }

  /** Applies one validated event (or records why it was ignored). */
  private apply(event: VideoEvent): void {
    const now = nowIso();
    const before = this.video;
    const { state, outcome, record } = applyEvent(this.state!, event, now);
    const urgent = outcome.kind === 'status' || outcome.kind === 'metadata';
    if (!outcome.applied) {
      log.info('event ignored', { videoId: this.videoId, eventId: event.id, type: event.type, reason: outcome.reason });
      this.commit(state, [record], [], urgent);
      return;
    }
    this.decided(state, afterEvent(before, state.video, now, this.stallPolicy), now, [record], urgent);
  }

  /** Takes a stall decision in: its video, its notes as history lines (written at once), what it sends. */
  private decided(base: TrackerState, decision: StallDecision, now: string, records: HistoryRecord[] = [], urgent = false): void {
    let state: TrackerState = { ...base, video: { ...decision.video, version: base.video.version } };
    for (const note of decision.notes) {
      const eventId = `vidproc:${note.type}:${state.video.version + 1}`;
      const appended = appendNote(state, state.video, { eventId, source: 'vidproc', ...note }, now);
      state = appended.state;
      records.push(appended.record);
    }
    this.commit(state, records, decision.dispatches, urgent || decision.notes.length > 0);
  }

  /** The one commit path: state, history lines, what goes out, what the owner's webhooks hear, and what operators see. */
  private commit(state: TrackerState, records: HistoryRecord[], dispatches: Dispatch[], urgent: boolean): void {
    const before = this.state!.video;
    this.state = state;
    this.projection.add(records, urgent, this.applying ?? currentTrace());
    this.outbox.add(dispatches);
    this.notify(before, state.video);
    this.visibility.show(state.video);
  }

  /** The event types this change raises, for the owner's webhooks (new behaviour: workflows that started before it replay without). */
  private notify(before: VideoState, after: VideoState): void {
    const types = webhookEventTypes(toView(before), toView(after));
    if (types.length > 0 && patched(USER_WEBHOOKS)) this.webhooks.add({ types, video: toView(after), occurredAt: nowIso() });
  }
}

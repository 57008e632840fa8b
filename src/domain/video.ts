/**
 * The video status machine. Pure functions over plain data: no I/O, no clock (callers pass
 * `now`), so the workflow, the bridge and the API share one set of rules.
 */
import { EVENT_TYPES } from './events.js';
import type { VideoEvent } from './event-schemas.js';
import { historyRecord, type HistoryRecord } from './history.js';

export type { HistoryRecord } from './history.js';

export const VIDEO_STATUSES = ['uploaded', 'processing', 'completed', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export interface VideoError {
  code: string;
  message: string;
}

/** The public view of a video (the API contract). Times are RFC 3339 strings. */
export interface VideoView {
  videoId: string;
  userId: string | null;
  status: VideoStatus;
  progress: number | null;
  imagesUrl: string | null;
  error: VideoError | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Past its stage's deadline with no news (see stall.ts). */
  stalled: boolean;
  stalledSince: string | null;
  /**
   * Number of history records so far: every change of the view raises it, so it orders views
   * (SSE ids, webhook deliveries, ETags) and the durable projection never accepts a lower one.
   */
  version: number;
}

/** Everything the tracker knows about one video. */
export interface VideoState extends VideoView {
  fileName: string | null;
  frameCount: number | null;
  /** When the current stage overruns (null once terminal). */
  deadline: string | null;
  /** When the last event was applied. */
  lastEventAt: string | null;
  /** Reprocess commands sent so far (self-repair and operator retries). */
  reprocessAttempts: number;
  /** When the last stalled alert (first or repeat) went out. */
  lastAlertAt: string | null;
}


/** Live state of the tracker: the video plus the ids it has already seen. */
export interface TrackerState {
  video: VideoState;
  /** Most recent event ids, oldest first, bounded by MAX_REMEMBERED_EVENT_IDS. */
  seenEventIds: string[];
}

/** How many event ids a tracker remembers for dedupe (carried across continue-as-new). */
export const MAX_REMEMBERED_EVENT_IDS = 2000;

export function isTerminal(status: VideoStatus): boolean {
  return status === 'completed' || status === 'failed';
}

/**
 * A view whose content nothing can change any more: the video finished (forward-only: a terminal
 * status is final, and so are its progress, images link, error and times; operators cannot act on
 * it; a finished video has no deadline, so it never stalls) and it has its owner. An owner is set
 * only while there is none, so a finished video without one still gets it from a late `uploaded`
 * event, and then reads differently to its owner (until then a 404 to them): such a view is not
 * final.
 *
 * What a late event still changes on a final view is its bookkeeping, LATE_EVENT_FIELDS: every
 * event is a history line, even an ignored one, so it raises `version`, and a late `uploaded`
 * event that fills in the file name (not in the view) moves `updatedAt`. Whoever keeps a final
 * view must drop it when the video's row is written again (the API does: src/api/lib/final-views.ts).
 */
export function isFinalView(view: Pick<VideoView, 'status' | 'userId'>): boolean {
  return isTerminal(view.status) && view.userId !== null;
}

/** The only fields of a final view (isFinalView) that can still change: a late event's bookkeeping. */
export const LATE_EVENT_FIELDS = ['version', 'updatedAt'] as const satisfies ReadonlyArray<keyof VideoView>;

const STATUS_RANK: Record<VideoStatus, number> = { uploaded: 0, processing: 1, completed: 2, failed: 2 };

/** Forward-only: a status may only move to one of higher rank; terminal states are final. */
export function canTransition(from: VideoStatus, to: VideoStatus): boolean {
  return STATUS_RANK[to] > STATUS_RANK[from];
}

export function newVideo(videoId: string, now: string): VideoState {
  return {
    videoId,
    userId: null,
    fileName: null,
    status: 'uploaded',
    progress: null,
    imagesUrl: null,
    frameCount: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    stalled: false,
    stalledSince: null,
    deadline: null,
    lastEventAt: null,
    reprocessAttempts: 0,
    lastAlertAt: null,
    version: 0,
  };
}

export function newTracker(video: VideoState): TrackerState {
  return { video, seenEventIds: [] };
}

export function toView(video: VideoState): VideoView {
  const { videoId, userId, status, progress, imagesUrl, error, createdAt, updatedAt, completedAt, stalled, stalledSince, version } = video;
  return { videoId, userId, status, progress, imagesUrl, error, createdAt, updatedAt, completedAt, stalled, stalledSince, version };
}

/**
 * What a video's workflow answers for it: the video as it is now (`live`), except once it is
 * finished. Postgres answers for a finished video in the workflow's stead, so what late events
 * still change on a final view (LATE_EVENT_FIELDS) is shown as the projection's row has it: the
 * first final view that the row took (`written`, its last successful write) or is taking (`writing`,
 * the write under way, perhaps retried while Postgres is out). A reader who moves from one to the
 * other then never sees a finished video's version go backwards, even while its late lines wait
 * for Postgres. (A row that is not final yet sends readers to the workflow anyway.)
 */
export function answeredView(live: VideoState, written: VideoState | undefined, writing: VideoState | undefined): VideoView {
  const shown = [written, writing].find((video) => video !== undefined && isFinalView(video) && video.version <= live.version);
  return toView(shown ?? live);
}

/** What applying one event did. `kind` tells the caller how urgently to persist it. */
export interface Outcome {
  applied: boolean;
  reason: string;
  /** 'status' and 'metadata' changes are persisted at once; 'progress' and 'none' may be batched. */
  kind: 'status' | 'metadata' | 'progress' | 'none';
}

/** A finished video has no deadline and is not stalled. */
const FINISHED = { deadline: null, stalled: false, stalledSince: null } as const;

/** The video failed with `error` at `at` (a processing failure, a timeout, an operator's call). */
export function failedVideo(video: VideoState, error: VideoError, at: string, now: string): VideoState {
  return { ...video, status: 'failed', error, completedAt: at, updatedAt: now, ...FINISHED };
}

const ignored = (reason: string): Outcome => ({ applied: false, reason, kind: 'none' });

/** Decides what an event does to a video, without changing anything. */
function decide(video: VideoState, event: VideoEvent): { outcome: Outcome; patch: Partial<VideoState> } {
  const none = { patch: {} };
  switch (event.type) {
    case EVENT_TYPES.uploaded: {
      const patch: Partial<VideoState> = {};
      const notes: string[] = [];
      if (video.userId === null) {
        patch.userId = event.data.userId;
        notes.push('owner set');
      } else if (video.userId !== event.data.userId) {
        notes.push(`owner kept (event names another owner)`);
      }
      if (event.data.fileName !== undefined && video.fileName === null) {
        patch.fileName = event.data.fileName;
        notes.push('file name set');
      }
      if (Object.keys(patch).length === 0) {
        return { outcome: ignored(notes[0] ?? 'metadata already known'), ...none };
      }
      return { outcome: { applied: true, reason: notes.join(', '), kind: 'metadata' }, patch };
    }
    case EVENT_TYPES.started: {
      if (!canTransition(video.status, 'processing')) {
        return { outcome: ignored(`video is already ${video.status}`), ...none };
      }
      return {
        outcome: { applied: true, reason: 'processing started', kind: 'status' },
        patch: { status: 'processing', progress: video.progress ?? 0 },
      };
    }
    case EVENT_TYPES.progress: {
      if (isTerminal(video.status)) return { outcome: ignored(`video is already ${video.status}`), ...none };
      const percent = event.data.percent;
      if (video.progress !== null && percent <= video.progress) {
        return {
          outcome: ignored(percent === video.progress ? 'progress unchanged' : 'progress never goes back'),
          ...none,
        };
      }
      if (video.status === 'uploaded') {
        return {
          outcome: { applied: true, reason: `processing at ${percent}%`, kind: 'status' },
          patch: { status: 'processing', progress: percent },
        };
      }
      return { outcome: { applied: true, reason: `progress ${percent}%`, kind: 'progress' }, patch: { progress: percent } };
    }
    case EVENT_TYPES.completed: {
      if (!canTransition(video.status, 'completed')) {
        return { outcome: ignored(`video is already ${video.status}`), ...none };
      }
      return {
        outcome: { applied: true, reason: 'processing completed', kind: 'status' },
        patch: {
          status: 'completed',
          progress: 100,
          imagesUrl: event.data.imagesUrl,
          frameCount: event.data.frameCount ?? null,
          completedAt: event.time,
          ...FINISHED,
        },
      };
    }
    case EVENT_TYPES.failed: {
      if (!canTransition(video.status, 'failed')) {
        return { outcome: ignored(`video is already ${video.status}`), ...none };
      }
      return {
        outcome: { applied: true, reason: `processing failed: ${event.data.error.code}`, kind: 'status' },
        patch: { status: 'failed', error: event.data.error, completedAt: event.time, ...FINISHED },
      };
    }
  }
}

export interface ApplyResult {
  state: TrackerState;
  outcome: Outcome;
  record: HistoryRecord;
}

/**
 * Applies one event: dedupe by id, then the forward-only rules. Always returns a history
 * record (applied or ignored, with the reason); the returned state is a new object.
 */
export function applyEvent(state: TrackerState, event: VideoEvent, now: string): ApplyResult {
  const duplicate = state.seenEventIds.includes(event.id);
  const { outcome, patch } = duplicate
    ? { outcome: ignored('duplicate event id'), patch: {} }
    : decide(state.video, event);
  const version = state.video.version + 1;
  const video: VideoState = {
    ...state.video,
    ...patch,
    ...(outcome.applied ? { updatedAt: now } : {}),
    version,
  };
  const seenEventIds = duplicate ? state.seenEventIds : remember(state.seenEventIds, event.id);
  const happened = { eventId: event.id, type: event.type, source: event.source, eventTime: event.time, data: event.data };
  const record = historyRecord(version, happened, outcome, now);
  return { state: { video, seenEventIds }, outcome, record };
}

/** Something the tracker did itself (a stall, a timeout, an operator's action), as a history line. */
export interface Note {
  eventId: string;
  type: string;
  source: string;
  reason: string;
  data: unknown;
}

/** Adds a note to the history (its own version), with the video as it is after the note. */
export function appendNote(state: TrackerState, video: VideoState, note: Note, now: string): { state: TrackerState; record: HistoryRecord } {
  const version = Math.max(state.video.version, video.version) + 1;
  const record = historyRecord(version, { ...note, eventTime: now }, { applied: true, reason: note.reason }, now);
  return { state: { ...state, video: { ...video, version } }, record };
}

function remember(ids: string[], id: string): string[] {
  const next = ids.length >= MAX_REMEMBERED_EVENT_IDS ? ids.slice(ids.length - MAX_REMEMBERED_EVENT_IDS + 1) : ids.slice();
  next.push(id);
  return next;
}

/**
 * Why `userId` may not register the video, or null if they may: a video belongs to whoever
 * registered it first, or to the owner its processing events name. A video the processing
 * service already knows about without an owner is not up for grabs: its `uploaded` event will
 * name the owner.
 */
export function registrationRefusal(video: VideoState, userId: string): string | null {
  if (video.userId === userId) return null;
  if (video.userId !== null) return 'the video is registered by another user';
  if (video.version > 0) return 'the video is already known; its owner comes from its uploaded event';
  return null;
}

export interface Principal {
  userId: string;
  operator: boolean;
}

/** A user reads only their own videos; an operator reads every video. */
export function canRead(principal: Principal, video: Pick<VideoView, 'userId'>): boolean {
  return principal.operator || (video.userId !== null && video.userId === principal.userId);
}

/**
 * The event contract's names, limits and plain builders: CloudEvents 1.0 in structured JSON mode.
 * Pure and free of zod, so the workflow bundle (which instantiates every module it imports once per
 * workflow) does not pay for a schema library; the schemas and the types derived from them are in
 * event-schemas.ts.
 */

/**
 * Limits the projection can store (src/db derives its columns from them): an event that passes
 * here is never refused by Postgres. Postgres text cannot hold NUL characters.
 */
export const LIMITS = {
  videoId: 128,
  eventId: 200,
  source: 1024,
  userId: 200,
  fileName: 1024,
  errorCode: 128,
  errorMessage: 4096,
  frameCount: 2_147_483_647,
  /** A history line's type: the contract's event types, or the tracker's own (all much shorter). */
  eventType: 128,
} as const;

/**
 * A video id every route can serve: 1-128 characters of A-Za-z0-9._-, but not `.` or `..` (a URL
 * path cannot carry them: clients and proxies resolve them as dot-segments) nor a word a route
 * takes for itself at the id's place (`/v1/videos/stream`). The one rule for new ids: the API's
 * registrations and paths, and the bridge's events (decodeVideoEvent).
 */
export const VIDEO_ID_PATTERN = new RegExp(`^(?!\\.{1,2}$)(?!stream$)[A-Za-z0-9._-]{1,${LIMITS.videoId}}$`);

/**
 * What an id stored before that rule may be (the charset and length alone): ids already in
 * Postgres and in running workflows' histories. Views that show stored ids are documented with
 * it, and a workflow re-checks the events it is signalled with it, so that a history recorded
 * before the rule replays as it ran.
 */
export const STORED_VIDEO_ID_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${LIMITS.videoId}}$`);

export const VIDEO_ID_RULE = `1-${LIMITS.videoId} characters of A-Za-z0-9._-, not "." or ".." or "stream"`;

/** No NUL characters (Postgres text cannot hold them). */
export const NO_NUL = /^[^\u0000]*$/;

export const EVENT_TYPES = {
  uploaded: 'vidproc.video.uploaded',
  started: 'vidproc.video.processing.started',
  progress: 'vidproc.video.processing.progress',
  completed: 'vidproc.video.processing.completed',
  failed: 'vidproc.video.processing.failed',
} as const;

/** Commands vidproc publishes to the same exchange, for the processing service. */
export const COMMAND_TYPES = {
  reprocess: 'vidproc.command.video.reprocess',
} as const;

export interface ReprocessCommand {
  specversion: '1.0';
  id: string;
  source: string;
  type: typeof COMMAND_TYPES.reprocess;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: { attempt: number; reason: string };
}

/** Asks for a video to be processed again; the id is stable per attempt, so consumers can dedupe. */
export function reprocessCommand(videoId: string, attempt: number, reason: string, now: string): ReprocessCommand {
  return {
    specversion: '1.0',
    id: `${videoId}:reprocess:${attempt}`,
    source: 'vidproc',
    type: COMMAND_TYPES.reprocess,
    subject: videoId,
    time: now,
    datacontenttype: 'application/json',
    data: { attempt, reason },
  };
}

/** Routing-key pattern that binds the tracker's queue to every video event. */
export const VIDEO_EVENT_BINDING = 'vidproc.video.#';

export const REGISTRATION_ID_PREFIX = 'registration:';

/**
 * The longest event id a video's history holds: an event's, or a registration's (its prefix and
 * the owner's id, which is not bound by LIMITS.eventId). The tracker's own notes have short ids.
 */
export const RECORDED_EVENT_ID_MAX = Math.max(LIMITS.eventId, REGISTRATION_ID_PREFIX.length + LIMITS.userId);



/**
 * The event contract: CloudEvents 1.0 in structured JSON mode, one schema per event type.
 * Pure: used by the bridge (to validate at the edge), the workflow (to re-check what it is
 * signalled) and the API (to build the registration event).
 */
import { z } from 'zod';

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

/** No NUL characters (Postgres text cannot hold them). */
export const NO_NUL = /^[^\u0000]*$/;

/** A string Postgres can store: no NUL characters, at most `max` characters. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    // A pattern, not a refinement: it is part of the schema the API documents (OpenAPI `pattern`).
    .regex(NO_NUL, 'must not contain NUL characters');

export const VIDEO_ID_RULE = `1-${LIMITS.videoId} characters of A-Za-z0-9._-, not "." or ".." or "stream"`;

export const videoIdSchema = z.string().regex(VIDEO_ID_PATTERN, `must be ${VIDEO_ID_RULE}`);

export const storedVideoIdSchema = z
  .string()
  .regex(STORED_VIDEO_ID_PATTERN, `must be 1-${LIMITS.videoId} characters of A-Za-z0-9._-`);

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

const imagesUrlSchema = z
  .url({ protocol: /^(https|s3)$/, hostname: /.+/ })
  .describe('absolute https:// or s3:// URL of the images archive');

export const videoErrorSchema = z.object({
  code: text(LIMITS.errorCode),
  message: text(LIMITS.errorMessage, 0),
});

const envelope = {
  specversion: z.literal('1.0'),
  id: text(LIMITS.eventId),
  source: text(LIMITS.source),
  // The stored shape: a workflow re-checks its signals with it (replay-safe); the bridge holds
  // new events to videoIdSchema (decodeVideoEvent).
  subject: storedVideoIdSchema,
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.string().optional(),
};

export const uploadedEventSchema = z.object({
  ...envelope,
  type: z.literal(EVENT_TYPES.uploaded),
  data: z.object({
    userId: text(LIMITS.userId),
    fileName: text(LIMITS.fileName).optional(),
  }),
});

export const startedEventSchema = z.object({
  ...envelope,
  type: z.literal(EVENT_TYPES.started),
  data: z.object({}).optional().default({}),
});

export const progressEventSchema = z.object({
  ...envelope,
  type: z.literal(EVENT_TYPES.progress),
  data: z.object({ percent: z.number().min(0).max(100) }),
});

export const completedEventSchema = z.object({
  ...envelope,
  type: z.literal(EVENT_TYPES.completed),
  data: z.object({
    imagesUrl: imagesUrlSchema,
    frameCount: z.number().int().nonnegative().max(LIMITS.frameCount).optional(),
  }),
});

export const failedEventSchema = z.object({
  ...envelope,
  type: z.literal(EVENT_TYPES.failed),
  data: z.object({ error: videoErrorSchema }),
});

export const videoEventSchema = z.discriminatedUnion('type', [
  uploadedEventSchema,
  startedEventSchema,
  progressEventSchema,
  completedEventSchema,
  failedEventSchema,
]);

export type VideoEvent = z.infer<typeof videoEventSchema>;
export type VideoEventInput = z.input<typeof videoEventSchema>;

export type ParseResult = { ok: true; event: VideoEvent } | { ok: false; reason: string };

/** An upload registered through the API: who (the token's subject) and, optionally, the file. */
export const registrationSchema = z.object({
  userId: text(LIMITS.userId),
  fileName: text(LIMITS.fileName).optional(),
});

const REGISTRATION_ID_PREFIX = 'registration:';

/**
 * The longest event id a video's history holds: an event's, or a registration's (its prefix and
 * the owner's id, which is not bound by LIMITS.eventId). The tracker's own notes have short ids.
 */
export const RECORDED_EVENT_ID_MAX = Math.max(LIMITS.eventId, REGISTRATION_ID_PREFIX.length + LIMITS.userId);

/** The event an upload registered through the API amounts to (one per owner: a re-registration is a duplicate). */
export function registrationEvent(videoId: string, userId: string, fileName: string | undefined, now: string): VideoEvent {
  return {
    specversion: '1.0',
    id: `${REGISTRATION_ID_PREFIX}${userId}`,
    source: 'vidproc-api',
    type: EVENT_TYPES.uploaded,
    subject: videoId,
    time: now,
    data: fileName === undefined ? { userId } : { userId, fileName },
  };
}

/** Validates an already-decoded value against the contract; the reason names every problem. */
export function parseVideoEvent(value: unknown): ParseResult {
  const result = videoEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, reason: describeIssues(result.error) };
}

/** Decodes a message body (UTF-8 JSON) and validates it, its subject by the rule for new ids (VIDEO_ID_PATTERN). */
export function decodeVideoEvent(body: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = parseVideoEvent(value);
  if (parsed.ok && !VIDEO_ID_PATTERN.test(parsed.event.subject)) {
    return { ok: false, reason: `subject: must be ${VIDEO_ID_RULE}` };
  }
  return parsed;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * The event contract's schemas (zod): what the bridge validates at the edge and the API documents.
 * The workflow does not import zod: it runs checks compiled from these schemas (contract-checks.ts,
 * kept equal to them by a test), so every rule here must be one JSON Schema can say, or one of the
 * predicates of contract-formats.ts (`withFormat`); the compiler refuses any other refinement.
 */
import { z } from 'zod';
import { CONTRACT_FORMATS, type ContractFormat } from './contract-formats.js';
import { EVENT_TYPES, LIMITS, NO_NUL, STORED_VIDEO_ID_PATTERN, VIDEO_ID_PATTERN, VIDEO_ID_RULE } from './events.js';

/** A string checked by one of the contract's predicates (the compiled checks call it by its format name). */
export const withFormat = (format: ContractFormat, base: z.ZodString = z.string()) =>
  base.refine(CONTRACT_FORMATS[format].validate, CONTRACT_FORMATS[format].message);

/** A string Postgres can store: no NUL characters, at most `max` characters. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    // A pattern, not a refinement: the API documents it (OpenAPI `pattern`) and the workflow's compiled checks run it.
    .regex(NO_NUL, 'must not contain NUL characters');

export const videoIdSchema = z.string().regex(VIDEO_ID_PATTERN, `must be ${VIDEO_ID_RULE}`);

export const storedVideoIdSchema = z
  .string()
  .regex(STORED_VIDEO_ID_PATTERN, `must be 1-${LIMITS.videoId} characters of A-Za-z0-9._-`);

const imagesUrlSchema = withFormat('images-url').describe(
  'absolute https:// or s3:// URL of the images archive',
);

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

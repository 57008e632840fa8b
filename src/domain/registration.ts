/** The event an upload registered through the API amounts to: plain, so the workflow can make it without zod. */
import type { VideoEvent } from './event-schemas.js';
import { EVENT_TYPES, REGISTRATION_ID_PREFIX } from './events.js';

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

/** Builders for contract-conforming events, shared by the tests and the benchmark. */
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES } from '../../src/domain/events.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';

let clock = Date.parse('2026-01-01T00:00:00Z');
const nextTime = () => new Date((clock += 1000)).toISOString();

const envelope = (videoId: string) => ({
  specversion: '1.0' as const,
  id: randomUUID(),
  source: 'test://processing-service',
  subject: videoId,
  time: nextTime(),
});

export const ev = {
  uploaded: (videoId: string, userId: string, fileName?: string): VideoEvent => ({
    ...envelope(videoId),
    type: EVENT_TYPES.uploaded,
    data: fileName === undefined ? { userId } : { userId, fileName },
  }),
  started: (videoId: string): VideoEvent => ({ ...envelope(videoId), type: EVENT_TYPES.started, data: {} }),
  progress: (videoId: string, percent: number): VideoEvent => ({
    ...envelope(videoId),
    type: EVENT_TYPES.progress,
    data: { percent },
  }),
  completed: (videoId: string, imagesUrl = `s3://images/${videoId}.zip`, frameCount?: number): VideoEvent => ({
    ...envelope(videoId),
    type: EVENT_TYPES.completed,
    data: frameCount === undefined ? { imagesUrl } : { imagesUrl, frameCount },
  }),
  failed: (videoId: string, code = 'DECODE_ERROR', message = 'cannot decode stream'): VideoEvent => ({
    ...envelope(videoId),
    type: EVENT_TYPES.failed,
    data: { error: { code, message } },
  }),
};

export const uniqueId = (prefix = 'vid') => `${prefix}-${randomUUID().slice(0, 8)}`;

import { describe, expect, it } from '@jest/globals';
import { decodeVideoEvent, parseVideoEvent } from '../../src/domain/event-schemas.js';
import { ev } from '../support/events.js';

const valid = ev.completed('vid-1', 'https://cdn.example.com/a.zip', 10);
const reasonFor = (value: unknown) => {
  const r = parseVideoEvent(value);
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
};

describe('the event contract', () => {
  it('accepts every event type as the builders make them', () => {
    for (const e of [ev.uploaded('v', 'u', 'f.mp4'), ev.started('v'), ev.progress('v', 12.5), valid, ev.failed('v')]) {
      expect(parseVideoEvent(e)).toEqual({ ok: true, event: e });
    }
  });

  it('accepts processing.started without data, and times with offsets', () => {
    const { data: _data, ...noData } = ev.started('v');
    expect(parseVideoEvent(noData).ok).toBe(true);
    expect(parseVideoEvent({ ...valid, time: '2026-11-28T10:00:00+02:00' }).ok).toBe(true);
  });

  it('takes new events only for ids every route can serve; a workflow still reads events of an id stored before that rule', () => {
    for (const subject of ['.', '..', 'stream']) {
      const r = decodeVideoEvent(JSON.stringify({ ...valid, subject }));
      expect(!r.ok && r.reason).toMatch(/^subject: must be 1-128 characters of A-Za-z0-9._-, not "\." or "\.\." or "stream"$/);
      // parseVideoEvent is what a workflow re-checks its signals with: a history recorded before the rule replays as it ran.
      expect(parseVideoEvent({ ...valid, subject }).ok).toBe(true);
    }
    for (const subject of ['...', 'a.b', 'streams', 'stream-1']) expect(decodeVideoEvent(JSON.stringify({ ...valid, subject })).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"specversion":', /^not JSON/],
    ['a JSON array', '[]', /\(root\)/],
  ])('rejects a body that is %s', (_name, body, pattern) => {
    const r = decodeVideoEvent(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(pattern);
  });

  it.each([
    ['the wrong specversion', { ...valid, specversion: '0.3' }, /specversion/],
    ['no id', { ...valid, id: undefined }, /^id:/],
    ['an unknown type', { ...valid, type: 'vidproc.video.exploded' }, /type/],
    ['a subject with spaces', { ...valid, subject: 'has space' }, /subject: must be 1-128 characters/],
    ['a subject of 129 characters', { ...valid, subject: 'a'.repeat(129) }, /subject/],
    ['a time that is not RFC 3339', { ...valid, time: 'yesterday' }, /time/],
    ['an http:// imagesUrl', { ...valid, data: { imagesUrl: 'http://cdn.example.com/a.zip' } }, /data.imagesUrl/],
    ['a relative imagesUrl', { ...valid, data: { imagesUrl: '/a.zip' } }, /data.imagesUrl/],
    ['an imagesUrl with a newline the URL parser would drop', { ...valid, data: { imagesUrl: 'https://exa\nmple.com/a.zip' } }, /data.imagesUrl/],
    ['an imagesUrl with surrounding spaces', { ...valid, data: { imagesUrl: ' https://cdn.example.com/a.zip' } }, /data.imagesUrl/],
    ['an imagesUrl without //', { ...valid, data: { imagesUrl: 'https:cdn.example.com/a.zip' } }, /data.imagesUrl: must be an absolute https:\/\/ or s3:\/\/ URL/],
    ['an s3 imagesUrl without a bucket', { ...valid, data: { imagesUrl: 's3:///key.zip' } }, /data.imagesUrl/],
    ['a negative frame count', { ...valid, data: { imagesUrl: 's3://b/a.zip', frameCount: -1 } }, /data.frameCount/],
    ['progress above 100', { ...ev.progress('v', 1), data: { percent: 101 } }, /data.percent/],
    ['uploaded without userId', { ...ev.uploaded('v', 'u'), data: {} }, /data.userId/],
    ['failed without an error code', { ...ev.failed('v'), data: { error: { message: 'x' } } }, /data.error.code/],
    ['a frame count beyond what Postgres stores', { ...valid, data: { imagesUrl: 's3://b/a.zip', frameCount: 2 ** 31 } }, /data.frameCount/],
    ['a NUL character in a file name', { ...ev.uploaded('v', 'u'), data: { userId: 'u', fileName: 'a\u0000b' } }, /NUL/],
    ['a NUL character in an error message', { ...ev.failed('v'), data: { error: { code: 'E', message: '\u0000' } } }, /NUL/],
    ['a user id over 200 characters', { ...ev.uploaded('v', 'u'), data: { userId: 'u'.repeat(201) } }, /data.userId/],
  ])('rejects an event with %s, naming the field', (_name, value, pattern) => {
    expect(reasonFor(value)).toMatch(pattern);
  });

  it('accepts s3:// and https:// image links', () => {
    expect(parseVideoEvent({ ...valid, data: { imagesUrl: 's3://bucket/key.zip' } }).ok).toBe(true);
  });
});

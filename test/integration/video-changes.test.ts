/**
 * Changes of the projection reach every listening process through Postgres LISTEN/NOTIFY, only
 * once committed, in the order of changes; a listener whose connection drops is told to resync.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectDatabase, type Orm } from '../../src/db/index.js';
import { openVideoChangeFeed, type VideoChange, type VideoChangeFeed } from '../../src/db/video-changes.js';
import { saveVideo } from '../../src/db/video-store.js';
import { newVideo } from '../../src/domain/video.js';
import { uniqueId } from '../support/events.js';
import { eventually, testConfig, testLogger } from '../support/env.js';

const NOW = '2026-03-01T00:00:00.000Z';
let orm: Orm;
let feeds: VideoChangeFeed[];
const seen: VideoChange[][] = [[], []];
let resyncs = 0;

beforeAll(async () => {
  const { DATABASE_URL } = testConfig();
  orm = await connectDatabase(DATABASE_URL);
  // Two feeds: two API instances.
  feeds = [openVideoChangeFeed(DATABASE_URL, testLogger), openVideoChangeFeed(DATABASE_URL, testLogger)];
  feeds.forEach((feed, i) => feed.subscribe({ change: (c) => seen[i]!.push(c), resync: () => resyncs++ }));
  await eventually(() => (feeds.every((f) => f.connected()) ? true : undefined));
});
afterAll(async () => {
  await Promise.all(feeds.map((f) => f.close()));
  await orm?.close(true);
});

const video = (videoId: string, version: number) => ({ ...newVideo(videoId, NOW), userId: 'alice', version });
const changesOf = (i: number, videoId: string) => seen[i]!.filter((c) => c.videoId === videoId);

describe('video changes', () => {
  it('reach every listener once per written version, in the order of changes; a refused (older) write announces nothing', async () => {
    const id = uniqueId('feed');
    expect(await saveVideo(orm.em.fork(), video(id, 1), [])).toBe(true);
    expect(await saveVideo(orm.em.fork(), video(id, 3), [])).toBe(true);
    expect(await saveVideo(orm.em.fork(), video(id, 2), [])).toBe(false); // older: not written
    for (const i of [0, 1]) {
      const changes = await eventually(() => (changesOf(i, id).length === 2 ? changesOf(i, id) : undefined));
      expect(changes.map((c) => [c.userId, c.version])).toEqual([
        ['alice', 1],
        ['alice', 3],
      ]);
      expect(changes[1]!.changeSeq).toBeGreaterThan(changes[0]!.changeSeq);
    }
  });

  it('are announced only when the write commits', async () => {
    const id = uniqueId('feed');
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await saveVideo(tx, video(id, 1), []);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await saveVideo(orm.em.fork(), video(`${id}-after`, 1), []);
    await eventually(() => (changesOf(0, `${id}-after`).length === 1 ? true : undefined));
    expect(changesOf(0, id)).toEqual([]);
  });

  it('a listener whose connection is cut reconnects, says to resync, and hears the changes after', async () => {
    const before = resyncs;
    await orm.em.fork().execute(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vidproc video changes'`);
    await eventually(() => (resyncs >= before + 2 && feeds.every((f) => f.connected()) ? true : undefined));
    const id = uniqueId('feed');
    await saveVideo(orm.em.fork(), video(id, 1), []);
    await eventually(() => (changesOf(0, id).length === 1 && changesOf(1, id).length === 1 ? true : undefined));
  });
});

/**
 * The operator's CLI end to end: `vidproc` as a process against the real Temporal dev server
 * (with a real worker), RabbitMQ and Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type ChannelModel } from 'amqplib';
import { DEAD_LETTER_HEADERS } from '../../src/amqp/dead-letters.js';
import { assertTopology, deleteTopology, topologyNames } from '../../src/amqp/topology.js';
import { createBridge, type Bridge } from '../../src/bridge/consumer.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { runVidproc } from '../support/cli.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, testLogger, type TemporalHarness } from '../support/env.js';


let h: TemporalHarness;
let videos: VideoGateway;
let amqp: ChannelModel;
let bridge: Bridge;

beforeAll(async () => {
  // Stalls 2 s after upload; up to 100 reprocess attempts (one every 2 s), so it stays stalled for minutes: with 10
  // (timed out 22 s after the stall) a loaded machine, where each `vidproc` process takes seconds to start, saw the
  // video fail before the test's last action.
  h = await startHarness(testConfig({ STUCK_UPLOADED_AFTER: '2s', STUCK_PROCESSING_AFTER: '1h', MAX_REPROCESS: '100' }));
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  amqp = await connect(h.config.AMQP_URL);
  await assertTopology(await amqp.createChannel(), h.config);
  bridge = createBridge({ config: h.config, gateway: videos, logger: testLogger });
  await bridge.start();
});
afterAll(async () => {
  await bridge?.stop();
  if (amqp) {
    await deleteTopology(await amqp.createChannel(), h.config);
    await amqp.close();
  }
  await h?.stop();
});

const vidproc = (...args: string[]) =>
  runVidproc(args, {
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE,
    AMQP_EXCHANGE: h.config.AMQP_EXCHANGE,
    AMQP_QUEUE: h.config.AMQP_QUEUE,
    DATABASE_URL: h.config.DATABASE_URL,
    VIDPROC_OPERATOR: 'ops-carla',
  });

describe('vidproc videos stuck / video retry|extend|fail', () => {
  it('lists a stalled video, acts on it, and records who did what', async () => {
    const id = uniqueId('cli');
    await videos.sendEvent(ev.uploaded(id, 'erin'));
    await eventually(async () => ((await findVideo(h.orm.em.fork(), id))?.stalled ? true : undefined));
    // Visibility is eventually consistent: wait until the list shows it.
    const listed = await eventually(async () => {
      const res = await vidproc('videos', 'stuck', '--json');
      const rows = JSON.parse(res.stdout) as Array<{ videoId: string; view?: { status: string; stalled: boolean } }>;
      return rows.find((r) => r.videoId === id);
    });
    expect(listed.view).toMatchObject({ status: 'uploaded', stalled: true });
    const text = await vidproc('videos', 'stuck');
    expect(text.stdout).toMatch(new RegExp(`${id}\\s+uploaded\\s+\\S+\\s+erin`));

    const retried = await vidproc('video', 'retry', id);
    expect(retried).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id}: uploaded (stalled since`) });
    expect((await vidproc('video', 'extend', id, '2h', '--by', 'ops-dan')).code).toBe(0);
    const badDuration = await vidproc('video', 'extend', id, 'later');
    expect(badDuration.code).toBe(1);
    expect(badDuration.stderr).toMatch(/duration: must be a duration like 90s/);
    const failed = await vidproc('video', 'fail', id, '--reason', 'upload is corrupt');
    expect(failed).toMatchObject({ code: 0, stdout: `${id}: failed\n` });
    const refused = await vidproc('video', 'retry', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already failed/);

    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.some((r) => r.type === 'vidproc.operator.fail') ? rows : undefined;
    });
    expect(history.filter((r) => r.source.startsWith('operator:')).map((r) => [r.type, r.source])).toEqual([
      ['vidproc.operator.retry', 'operator:ops-carla'],
      ['vidproc.operator.extend', 'operator:ops-dan'],
      ['vidproc.operator.fail', 'operator:ops-carla'],
    ]);
  });
});

describe('vidproc dlq list / replay', () => {
  it('shows each dead letter with its reason, and replays the chosen one after a fix', async () => {
    const names = topologyNames(h.config);
    const channel = await amqp.createConfirmChannel();
    // A malformed event the bridge dead-letters itself...
    channel.publish(names.exchange, 'vidproc.video.processing.started', Buffer.from('{not json'));
    // ...and a valid one that was dead-lettered earlier (say, before a contract fix), as the bridge does it.
    const id = uniqueId('dlq');
    const valid = ev.uploaded(id, 'frank', 'f.mp4');
    channel.publish(names.deadLetterExchange, valid.type, Buffer.from(JSON.stringify(valid)), {
      headers: {
        [DEAD_LETTER_HEADERS.reason]: 'data.userId: was not accepted before the fix',
        [DEAD_LETTER_HEADERS.originalExchange]: names.exchange,
        [DEAD_LETTER_HEADERS.originalRoutingKey]: valid.type,
        [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
      },
    });
    await channel.waitForConfirms();
    await channel.close();

    const letters = await eventually(async () => {
      const res = await vidproc('dlq', 'list', '--json');
      const rows = JSON.parse(res.stdout) as Array<{ n: number; reason: string; body: string; routingKey: string }>;
      return rows.length === 2 ? rows : undefined;
    });
    const malformed = letters.find((l) => l.body === '{not json')!;
    expect(malformed.reason).toMatch(/^not JSON/);
    const fixed = letters.find((l) => l.body.includes(id))!;
    expect((await vidproc('dlq', 'list')).stdout).toContain('reason: data.userId: was not accepted before the fix');

    expect((await vidproc('dlq', 'replay')).code).toBe(1);
    const replayed = await vidproc('dlq', 'replay', String(fixed.n));
    expect(replayed).toMatchObject({ code: 0, stdout: 'replayed 1 message\n' });
    await eventually(async () => ((await findVideo(h.orm.em.fork(), id))?.userId === 'frank' ? true : undefined));

    const left = JSON.parse((await vidproc('dlq', 'list', '--json')).stdout) as Array<{ body: string }>;
    expect(left.map((l) => l.body)).toEqual(['{not json']);
    expect((await vidproc('dlq', 'replay', '--all')).stdout).toBe('replayed 1 message\n');
    // Still malformed: the bridge dead-letters it again, with its reason.
    await eventually(async () => {
      const again = JSON.parse((await vidproc('dlq', 'list', '--json')).stdout) as Array<{ reason: string }>;
      return again.length === 1 && /^not JSON/.test(again[0]!.reason) ? true : undefined;
    });
  });
});

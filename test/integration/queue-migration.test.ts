/**
 * `vidproc queues migrate` on the real RabbitMQ: the classic queues of an earlier release, with
 * events and dead letters in them, moved to the quorum queues; every message once, in order, with
 * what it says about itself; then consumed by the bridge into the real Temporal and Postgres, each
 * event once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { DEAD_LETTER_HEADERS, listDeadLetters } from '../../src/amqp/dead-letters.js';
import { migrateQueues, QueueMigrationRefusedError } from '../../src/amqp/queue-migration.js';
import { deleteTopology, existingQueues, topologyNames, type TopologyNames } from '../../src/amqp/topology.js';
import { createBridge, type Bridge } from '../../src/bridge/consumer.js';
import type { Config } from '../../src/config/env.js';
import { findHistory } from '../../src/db/video-store.js';
import { EVENT_TYPES, VIDEO_EVENT_BINDING } from '../../src/domain/events.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { createVideoGateway } from '../../src/temporal/video-gateway.js';
import { runVidproc } from '../support/cli.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, testLogger, type TemporalHarness } from '../support/env.js';

let h: TemporalHarness;
let amqp: ChannelModel;
let publisher: ConfirmChannel;
let bridge: Bridge | undefined;
const config: Config = testConfig();
const names: TopologyNames = topologyNames(config);

beforeAll(async () => {
  h = await startHarness();
  amqp = await connect(config.AMQP_URL);
  publisher = await amqp.createConfirmChannel();
});
afterAll(async () => {
  await bridge?.stop();
  const channel = await amqp.createChannel();
  for (const queue of [names.classic.queue, names.classic.deadLetterQueue]) await channel.deleteQueue(queue);
  await deleteTopology(channel, config);
  await amqp?.close();
  await h?.stop();
});

/** What earlier releases declared: the same exchanges, classic queues under the configured names. */
async function declareClassicTopology(): Promise<void> {
  const channel = await amqp.createChannel();
  await channel.assertExchange(names.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(names.classic.deadLetterQueue, { durable: true });
  await channel.bindQueue(names.classic.deadLetterQueue, names.deadLetterExchange, '');
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertQueue(names.classic.queue, { durable: true, deadLetterExchange: names.deadLetterExchange });
  await channel.bindQueue(names.classic.queue, names.exchange, VIDEO_EVENT_BINDING);
  await channel.close();
}

function publish(exchange: string, routingKey: string, body: string, messageId: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    publisher.publish(exchange, routingKey, Buffer.from(body), { persistent: true, contentType: 'application/cloudevents+json', messageId, headers }, (err: unknown) =>
      err ? reject(new Error('publish not confirmed', { cause: err })) : resolve(),
    );
  });
}

async function counts(): Promise<Record<string, number>> {
  const channel = await amqp.createChannel();
  try {
    return {
      queue: (await channel.checkQueue(names.queue)).messageCount,
      deadLetterQueue: (await channel.checkQueue(names.deadLetterQueue)).messageCount,
    };
  } finally {
    await channel.close();
  }
}

const cliEnv = { AMQP_URL: config.AMQP_URL, AMQP_EXCHANGE: config.AMQP_EXCHANGE, AMQP_QUEUE: config.AMQP_QUEUE, LOG_LEVEL: 'silent' };

describe('vidproc queues migrate', () => {
  it('moves every message of the classic queues to the quorum queues once, in order, and the bridge delivers them', async () => {
    await declareClassicTopology();

    // The broker dead-letters one on its own (a reject: no vidproc reason, an x-death header)...
    await publish(names.exchange, EVENT_TYPES.started, 'rejected by an old bridge', 'rejected');
    const channel = await amqp.createChannel();
    const rejected = await eventually(async () => (await channel.get(names.classic.queue)) || undefined);
    channel.nack(rejected, false, false);
    // ...the old bridge dead-lettered others with its reason...
    const letters = Array.from({ length: 5 }, (_, i) => `bad-${i}`);
    for (const id of letters) {
      await publish(names.deadLetterExchange, EVENT_TYPES.progress, `not an event ${id}`, id, {
        [DEAD_LETTER_HEADERS.reason]: `not JSON (${id})`,
        [DEAD_LETTER_HEADERS.originalExchange]: names.exchange,
        [DEAD_LETTER_HEADERS.originalRoutingKey]: EVENT_TYPES.progress,
        [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
      });
    }
    // ...and events wait in the classic queue while its bridges are stopped for the upgrade.
    const videos = Array.from({ length: 40 }, () => uniqueId());
    const events: VideoEvent[] = [];
    for (const id of videos) events.push(ev.uploaded(id, 'mig'), ev.started(id), ev.completed(id));
    for (const e of events) await publish(names.exchange, e.type, JSON.stringify(e), e.id);

    // An old bridge still consuming: refused, nothing touched.
    await channel.prefetch(1);
    await channel.consume(names.classic.queue, () => undefined);
    await expect(migrateQueues(config.AMQP_URL, config)).rejects.toThrow(QueueMigrationRefusedError);
    await expect(migrateQueues(config.AMQP_URL, config)).rejects.toThrow(/has 1 consumer: stop every bridge/);
    expect(await existingQueues(amqp, [names.queue, names.deadLetterQueue])).toEqual([]);
    await channel.close(); // its unacked message goes back to the classic queue

    const result = await runVidproc(['queues', 'migrate'], cliEnv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`moved ${events.length} messages from ${names.classic.queue} to ${names.queue}`);
    expect(result.stdout).toContain(`moved ${letters.length + 1} messages from ${names.classic.deadLetterQueue} to ${names.deadLetterQueue}`);
    expect(await existingQueues(amqp, [names.classic.queue, names.classic.deadLetterQueue])).toEqual([]);
    expect(await counts()).toEqual({ queue: events.length, deadLetterQueue: letters.length + 1 });

    // In the order they were queued (read without acking; closing the channel puts them back, in order).
    const browser = await amqp.createChannel();
    const queued: string[] = [];
    for (let msg = await browser.get(names.queue); msg; msg = await browser.get(names.queue)) queued.push(msg.properties.messageId as string);
    await browser.close();
    expect(queued).toEqual(events.map((e) => e.id));

    // Events published from now on reach the quorum queue.
    const late = ev.uploaded(uniqueId(), 'mig');
    await publish(names.exchange, late.type, JSON.stringify(late), late.id);
    expect(await counts()).toEqual({ queue: events.length + 1, deadLetterQueue: letters.length + 1 });

    // The dead letters keep their reasons and where they came from.
    const dead = await listDeadLetters(config.AMQP_URL, config);
    expect(dead.map(({ n, reason, exchange, routingKey, body }) => ({ n, reason, exchange, routingKey, body }))).toEqual([
      { n: 1, reason: 'rejected by the broker (rejected)', exchange: names.exchange, routingKey: EVENT_TYPES.started, body: 'rejected by an old bridge' },
      ...letters.map((id, i) => ({ n: i + 2, reason: `not JSON (${id})`, exchange: names.exchange, routingKey: EVENT_TYPES.progress, body: `not an event ${id}` })),
    ]);

    // The bridge delivers each moved event: none lost, none twice.
    const gateway = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
    bridge = createBridge({ config, gateway, logger: testLogger });
    await bridge.start();
    for (const id of [...videos, late.subject]) {
      const published = [...events, late].filter((e) => e.subject === id).map((e) => e.id);
      const history = await eventually(async () => {
        const rows = await findHistory(h.orm.em.fork(), id);
        return rows.length >= published.length ? rows : undefined;
      }, { timeoutMs: 60_000 });
      expect(history.map((r) => r.eventId).sort()).toEqual([...published].sort());
    }
    await eventually(async () => ((await counts()).queue === 0 ? true : undefined));

    // Done: a second run finds nothing to move.
    const again = await runVidproc(['queues', 'migrate'], cliEnv);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('no classic queues: nothing to move');
  }, 120_000);
});

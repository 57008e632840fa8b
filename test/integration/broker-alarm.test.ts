/**
 * The broker's memory alarm, on a RabbitMQ node of the test's own (never the shared one): while
 * it blocks publishers, the worker's command publisher and the bridge's dead-lettering write
 * nothing more and wait, past their confirm timeouts, without failing; readiness says so; once it
 * clears, each message arrives exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type ChannelModel } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCommandPublisher } from '../../src/amqp/command-publisher.js';
import { DEAD_LETTER_HEADERS } from '../../src/amqp/dead-letters.js';
import { openBrokerReadiness } from '../../src/amqp/readiness.js';
import { assertTopology } from '../../src/amqp/topology.js';
import { createBridge } from '../../src/bridge/consumer.js';
import { COMMAND_TYPES, EVENT_TYPES, reprocessCommand } from '../../src/domain/events.js';
import { connectClient } from '../../src/temporal/connection.js';
import { createVideoGateway } from '../../src/temporal/video-gateway.js';
import { eventually, testConfig, testLogger } from '../support/env.js';
import { startPrivateRabbitMq, type PrivateRabbitMq } from '../support/private-rabbitmq.js';

let broker: PrivateRabbitMq;
let amqp: ChannelModel;

beforeAll(async () => {
  broker = await startPrivateRabbitMq('alarm');
  amqp = await connect(broker.url);
}, 240_000);
afterAll(async () => {
  await amqp?.close().catch(() => undefined);
  await broker?.stop();
}, 60_000);

/** Ready and unacknowledged counts of a queue on the private node. */
async function queueCounts(queue: string): Promise<{ ready: number; unacked: number }> {
  const rows = JSON.parse(await broker.ctl('list_queues', '-q', '--formatter', 'json', 'name', 'messages_ready', 'messages_unacknowledged')) as {
    name: string;
    messages_ready: number;
    messages_unacknowledged: number;
  }[];
  const row = rows.find((r) => r.name === queue);
  if (!row) throw new Error(`no queue ${queue}`);
  return { ready: row.messages_ready, unacked: row.messages_unacknowledged };
}

/** Resolves to the outcome of a promise without waiting for it. */
function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const tracked: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(
    () => (tracked.state = 'resolved'),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', error }),
  );
  return tracked;
}

describe('a blocked broker (memory alarm)', () => {
  it('holds publishes while the broker blocks them, through their confirm timeouts, and delivers each exactly once after', async () => {
    const config = testConfig({ AMQP_URL: broker.url });
    const setup = await amqp.createConfirmChannel();
    const names = await assertTopology(setup, config);
    const commandsQueue = `${config.AMQP_QUEUE}.commands`;
    await setup.assertQueue(commandsQueue, { durable: true });
    await setup.bindQueue(commandsQueue, names.exchange, COMMAND_TYPES.reprocess);
    // Two messages the bridge will dead-letter, waiting before the alarm (publishing during it is blocked).
    const invalid = ['not json 1', 'not json 2'];
    for (const body of invalid) setup.publish(names.exchange, EVENT_TYPES.started, Buffer.from(body), { persistent: true, messageId: body });
    await setup.waitForConfirms();

    const commands = await createCommandPublisher(broker.url, config.AMQP_EXCHANGE, testLogger);
    const readiness = await openBrokerReadiness(broker.url, testLogger);
    const { connection: temporal, client } = await connectClient(config.temporal);
    const bridge = createBridge({ config, gateway: createVideoGateway(client, { taskQueue: config.TEMPORAL_TASK_QUEUE }), logger: testLogger });
    try {
      await eventually(() => readiness.check().then(() => true));
      await eventually(() => commands.publish(reprocessCommand('before', 1, 'warm-up', new Date().toISOString())).then(() => true));

      await broker.ctl('set_vm_memory_high_watermark', '0.0000001');
      // Readiness names the block (its probe's publish is what makes the broker say so).
      const notReady = await eventually(() => readiness.check().then(() => undefined, (err: Error) => (/blocking publishers/.test(err.message) ? err : undefined)));
      expect(notReady.message).toBe('RabbitMQ is blocking publishers (low on memory)');

      // The worker's commands and the bridge's dead letters: taken, held, neither failed nor lost.
      const first = track(commands.publish(reprocessCommand('vid-a', 1, 'stalled', new Date().toISOString())));
      const second = track(commands.publish(reprocessCommand('vid-b', 1, 'stalled', new Date().toISOString())));
      await bridge.start();
      await eventually(async () => ((await queueCounts(names.queue)).unacked === invalid.length ? true : undefined));
      // Longer than the command publisher's confirm timeout (15 s): without the gate, they would have failed (and been retried: twice).
      await sleep(16_000);
      expect([first.state, second.state]).toEqual(['pending', 'pending']);
      expect(await queueCounts(names.queue)).toEqual({ ready: 0, unacked: invalid.length }); // held by the bridge

      await broker.ctl('set_vm_memory_high_watermark', '0.4');
      await eventually(() => (first.state !== 'pending' && second.state !== 'pending' ? true : undefined), { timeoutMs: 30_000 });
      expect([first.state, second.state]).toEqual(['resolved', 'resolved']);
      await eventually(() => readiness.check().then(() => true));
      await eventually(async () => {
        const [queue, dead] = await Promise.all([queueCounts(names.queue), queueCounts(names.deadLetterQueue)]);
        return queue.ready + queue.unacked === 0 && dead.ready === invalid.length ? true : undefined;
      }, { timeoutMs: 30_000 });

      // Exactly once each: every dead letter with its reason, every command.
      const reader = await amqp.createChannel();
      const take = async (queue: string) => {
        const taken = [];
        for (let msg = await reader.get(queue, { noAck: true }); msg; msg = await reader.get(queue, { noAck: true })) taken.push(msg);
        return taken;
      };
      const dead = await take(names.deadLetterQueue);
      expect(dead.map((m) => m.properties.messageId as string).sort()).toEqual(invalid);
      for (const msg of dead) expect(msg.properties.headers?.[DEAD_LETTER_HEADERS.reason]).toMatch(/^not JSON/);
      const sent = await take(commandsQueue);
      expect(sent.map((m) => (JSON.parse(m.content.toString()) as { id: string }).id).sort()).toEqual(['before:reprocess:1', 'vid-a:reprocess:1', 'vid-b:reprocess:1']);
      await reader.close();
    } finally {
      await broker.ctl('set_vm_memory_high_watermark', '0.4');
      await bridge.stop();
      await commands.close();
      await readiness.close();
      await temporal.close();
      await setup.close().catch(() => undefined);
    }
  }, 120_000);
});

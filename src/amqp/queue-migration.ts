/**
 * `vidproc queues migrate`: moves a deployment from the classic queues of earlier releases to the
 * quorum queues (src/amqp/topology.ts). A queue's type cannot change in place, so the quorum
 * queues have names of their own; the migration declares them, takes the classic queues off the
 * exchanges (new events from then on reach only the quorum queue), moves every message over with
 * publisher confirms (each is acked on the classic queue only once the broker confirmed its
 * copy), and deletes the emptied classic queues. It refuses while a consumer (an old bridge) is
 * on the classic queue: that bridge would bind it again on its next reconnect.
 *
 * Run it again after an interruption: it takes up where it stopped. A message whose copy was
 * confirmed just before the interruption but not yet acked is moved twice; the workflow drops the
 * second by its event id.
 */
import { connect, type Channel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { VIDEO_EVENT_BINDING } from '../domain/events.js';
import { DEAD_LETTER_HEADERS } from './dead-letters.js';
import { assertTopology, existingQueues, topologyNames, type TopologyConfig } from './topology.js';

export interface QueueMigrationReport {
  /** The classic queues found (none: nothing to move, the quorum queues are declared). */
  found: string[];
  /** Messages moved, per classic queue. */
  moved: Record<string, number>;
  /** The classic queues deleted once empty. */
  deleted: string[];
}

/** The migration cannot run as things are (an old bridge still consuming): nothing was changed. */
export class QueueMigrationRefusedError extends Error {
  override name = 'QueueMigrationRefusedError';
}

/** Messages published before their confirms are awaited and they are acked together. */
const BATCH = 500;

export async function migrateQueues(url: string, config: TopologyConfig, progress: (line: string) => void = () => undefined): Promise<QueueMigrationReport> {
  const names = topologyNames(config);
  const model = await connect(url);
  try {
    const found = await existingQueues(model, [names.classic.queue, names.classic.deadLetterQueue]);
    const channel = await model.createChannel();
    if (found.includes(names.classic.queue)) {
      const { consumerCount } = await channel.checkQueue(names.classic.queue);
      if (consumerCount > 0) {
        throw new QueueMigrationRefusedError(
          `${names.classic.queue} has ${consumerCount} consumer${consumerCount === 1 ? '' : 's'}: stop every bridge of the earlier release first (one would bind the classic queue again), then run this again`,
        );
      }
    }
    await assertTopology(channel, config);
    progress(`declared the quorum queues ${names.queue} and ${names.deadLetterQueue}`);
    const report: QueueMigrationReport = { found, moved: {}, deleted: [] };
    if (found.length === 0) return report;

    // From here on new events reach the quorum queue only; the classic ones only drain.
    if (found.includes(names.classic.queue)) await channel.unbindQueue(names.classic.queue, names.exchange, VIDEO_EVENT_BINDING);
    if (found.includes(names.classic.deadLetterQueue)) await channel.unbindQueue(names.classic.deadLetterQueue, names.deadLetterExchange, '');

    const publisher = await model.createConfirmChannel();
    for (const [from, to] of [
      [names.classic.queue, names.queue],
      [names.classic.deadLetterQueue, names.deadLetterQueue],
    ] as const) {
      if (!found.includes(from)) continue;
      report.moved[from] = await drain(channel, publisher, from, to);
      progress(`moved ${report.moved[from]} message${report.moved[from] === 1 ? '' : 's'} from ${from} to ${to}`);
      // Only if empty and unused: whatever came meanwhile stays, for the next run.
      await channel.deleteQueue(from, { ifEmpty: true, ifUnused: true });
      report.deleted.push(from);
      progress(`deleted ${from}`);
    }
    await publisher.close();
    await channel.close();
    return report;
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Moves every message of `from` to `to` (through the default exchange), acking each once its copy is confirmed. */
async function drain(channel: Channel, publisher: ConfirmChannel, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    let last: GetMessage | undefined;
    let inBatch = 0;
    for (let msg = await channel.get(from); msg; msg = inBatch < BATCH ? await channel.get(from) : false) {
      publisher.publish('', to, msg.content, copyOptions(msg));
      last = msg;
      inBatch++;
    }
    if (!last) return moved;
    await publisher.waitForConfirms(); // rejects if the broker refused one: nothing of the batch is acked
    channel.ack(last, true);
    moved += inBatch;
  }
}

/**
 * The message's properties as they were, and where it was first published: the default exchange
 * that carries it over would otherwise stand as its origin, and a dead letter's replay goes there.
 */
function copyOptions({ fields, properties }: GetMessage): Options.Publish {
  const headers = { ...(properties.headers ?? {}) } as Record<string, unknown>;
  if (headers[DEAD_LETTER_HEADERS.originalExchange] === undefined && headers['x-death'] === undefined) {
    headers[DEAD_LETTER_HEADERS.originalExchange] = fields.exchange;
    headers[DEAD_LETTER_HEADERS.originalRoutingKey] = fields.routingKey;
  }
  const options: Options.Publish = { ...properties, headers };
  // RabbitMQ refuses (and closes the channel on) a user-id other than the publishing connection's.
  delete options.userId;
  return options;
}

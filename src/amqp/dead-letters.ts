/**
 * Dead letters: what the bridge publishes for a message that is not a valid event (the message
 * as it came, with why and where from in headers), and the operator's tools for the dead-letter
 * queue: list what is there and why, and put messages back on the events exchange once the cause
 * is fixed. Listing takes each message without acking it and lets it go back when done, so it
 * changes nothing.
 */
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type GetMessage, type Message, type Options } from 'amqplib';
import { publishConfirmed } from './confirmed-publish.js';
import { topologyNames, type TopologyConfig } from './topology.js';

/** Headers added to a message dead-lettered by the bridge. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-vidproc-dead-letter-reason',
  originalExchange: 'x-vidproc-original-exchange',
  originalRoutingKey: 'x-vidproc-original-routing-key',
  deadLetteredAt: 'x-vidproc-dead-lettered-at',
} as const;

/** Headers the broker adds when it dead-letters a message itself (a reject, an expiry, the delivery limit). */
const BROKER_DEATH_HEADERS = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason'];

/** The quorum queue's count of a message's returns: the queue's own, never carried to another queue or a replay. */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';

export interface DeadLetter {
  /** 1-based position in the queue, as `vidproc dlq replay <n>` takes it. */
  n: number;
  reason: string;
  deadLetteredAt: string | null;
  exchange: string;
  routingKey: string;
  body: string;
}

/**
 * Publishes the message to the dead-letter exchange with its original routing key, content and
 * properties, plus why and where from; resolves once the broker has confirmed it.
 */
export function publishDeadLetter(channel: ConfirmChannel, deadLetterExchange: string, { fields, properties, content }: Message, reason: string): Promise<void> {
  // A message `vidproc queues migrate` moved names where it was first published; others came from there.
  const moved = (properties.headers ?? {}) as Record<string, unknown>;
  const exchange = text(moved[DEAD_LETTER_HEADERS.originalExchange]) ?? fields.exchange;
  const routingKey = text(moved[DEAD_LETTER_HEADERS.originalRoutingKey]) ?? fields.routingKey;
  const { [DELIVERY_COUNT_HEADER]: _count, ...headers } = moved;
  const options: Options.Publish = {
    ...properties,
    headers: {
      ...headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.originalExchange]: exchange,
      [DEAD_LETTER_HEADERS.originalRoutingKey]: routingKey,
      [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
    },
  };
  // RabbitMQ refuses (and closes the channel on) a user-id other than the publishing connection's.
  delete options.userId;
  // A TTL meant for the live queue must not expire the dead letter.
  delete options.expiration;
  return publishConfirmed(channel, { exchange: deadLetterExchange, routingKey, content, options });
}

/** A header's value as text (AMQP tables carry strings as strings or buffers). */
const text = (v: unknown) => (typeof v === 'string' ? v : v instanceof Buffer ? v.toString() : undefined);

type XDeath = Array<{ reason?: string; exchange?: string; 'routing-keys'?: string[] }>;

/** What a message on the dead-letter queue says about itself, whether the bridge or the broker dead-lettered it. */
function toDeadLetter(msg: GetMessage, n: number, fallbackExchange: string): DeadLetter {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const death = (headers['x-death'] as XDeath | undefined)?.[0];
  const str = text;
  return {
    n,
    reason: str(headers[DEAD_LETTER_HEADERS.reason]) ?? (death?.reason ? `rejected by the broker (${death.reason})` : 'unknown'),
    deadLetteredAt: str(headers[DEAD_LETTER_HEADERS.deadLetteredAt]) ?? null,
    exchange: str(headers[DEAD_LETTER_HEADERS.originalExchange]) ?? death?.exchange ?? fallbackExchange,
    routingKey: str(headers[DEAD_LETTER_HEADERS.originalRoutingKey]) ?? death?.['routing-keys']?.[0] ?? msg.fields.routingKey,
    body: msg.content.toString('utf8'),
  };
}

/** Takes every message (unacked) and runs `use` on them; all not acked go back when the channel closes. */
async function withAll<T>(url: string, config: TopologyConfig, use: (ch: Channel, msgs: GetMessage[], model: ChannelModel) => Promise<T>): Promise<T> {
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    const names = topologyNames(config);
    await channel.checkQueue(names.deadLetterQueue);
    const messages: GetMessage[] = [];
    for (let msg = await channel.get(names.deadLetterQueue); msg; msg = await channel.get(names.deadLetterQueue)) messages.push(msg);
    const result = await use(channel, messages, model);
    await channel.close(); // the messages not acked return to the queue
    return result;
  } finally {
    await model.close().catch(() => undefined);
  }
}

export function listDeadLetters(url: string, config: TopologyConfig): Promise<DeadLetter[]> {
  return withAll(url, config, (_ch, messages) => Promise.resolve(messages.map((m, i) => toDeadLetter(m, i + 1, config.AMQP_EXCHANGE))));
}

/**
 * Republishes the chosen dead letters (`all`, or positions as listed) to where they were first
 * published, without the dead-letter headers, and removes them from the dead-letter queue.
 */
export function replayDeadLetters(url: string, config: TopologyConfig, which: 'all' | number[]): Promise<DeadLetter[]> {
  return withAll(url, config, async (channel, messages, model) => {
    const publisher = await model.createConfirmChannel();
    const chosen = messages
      .map((msg, i) => ({ msg, letter: toDeadLetter(msg, i + 1, config.AMQP_EXCHANGE) }))
      .filter(({ letter }) => which === 'all' || which.includes(letter.n));
    await Promise.all(
      chosen.map(({ msg, letter }) => {
        const headers = { ...(msg.properties.headers ?? {}) } as Record<string, unknown>;
        for (const name of [...Object.values(DEAD_LETTER_HEADERS), ...BROKER_DEATH_HEADERS, DELIVERY_COUNT_HEADER]) delete headers[name];
        const options: Options.Publish = { ...msg.properties, headers };
        delete options.userId;
        return publishConfirmed(publisher, { exchange: letter.exchange, routingKey: letter.routingKey, content: msg.content, options });
      }),
    );
    for (const { msg } of chosen) channel.ack(msg);
    await publisher.close();
    return chosen.map(({ letter }) => letter);
  });
}

/**
 * The AMQP bridge against the real RabbitMQ and the real Temporal dev server: events in, the
 * Postgres projection out; invalid messages dead-lettered with their reason; a message Temporal
 * keeps refusing dead-lettered with Temporal's reason at the delivery limit; nothing lost while
 * Temporal is unreachable or when the broker drops the connection; quorum queues, and no start
 * beside the classic queues of an earlier release; a clean stop.
 * Each test has its own exchange and queues (testConfig) and its own bridge.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { DEAD_LETTER_HEADERS } from '../../src/amqp/dead-letters.js';
import { assertTopology, deleteTopology, MIGRATE_COMMAND, TopologyConflictError, topologyNames, type TopologyNames } from '../../src/amqp/topology.js';
import { bridgeConnectionName, createBridge, type Bridge, type BridgeOptions } from '../../src/bridge/consumer.js';
import type { Config } from '../../src/config/env.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, testLogger, type TemporalHarness } from '../support/env.js';

const run = promisify(execFile);

let h: TemporalHarness;
let gateway: VideoGateway;
let amqp: ChannelModel;
let publisher: ConfirmChannel;
const topologies: Config[] = [];
const bridges: Bridge[] = [];
const temporalConnections: Connection[] = [];

beforeAll(async () => {
  h = await startHarness();
  gateway = createVideoGateway(h.client, {
    taskQueue: h.config.TEMPORAL_TASK_QUEUE,
    workflowDefaults: { lingerMs: 60_000 },
  });
  amqp = await connect(h.config.AMQP_URL);
  publisher = await amqp.createConfirmChannel();
});
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
});
afterAll(async () => {
  for (const config of topologies) await removeTopology(config);
  await amqp?.close();
  await Promise.all(temporalConnections.map((c) => c.close()));
  await h?.stop();
});

// --- RabbitMQ -------------------------------------------------------------------------------

/** A config with AMQP names of its own, its topology declared (and deleted after the suite). */
async function newTopology(overrides: Partial<Record<keyof Config, string>> = {}): Promise<{ config: Config; names: TopologyNames }> {
  const config = testConfig(overrides);
  const channel = await amqp.createChannel();
  const names = await assertTopology(channel, config);
  await channel.close();
  topologies.push(config);
  return { config, names };
}

async function removeTopology(config: Config): Promise<void> {
  const channel = await amqp.createChannel();
  await deleteTopology(channel, config);
  await channel.close();
}

/** Publishes (persistent, confirmed) an event, or any body, to the events exchange. */
async function publish(names: TopologyNames, body: VideoEvent | string, routingKey?: string, messageId = uniqueId('msg')): Promise<void> {
  const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const key = routingKey ?? (typeof body === 'string' ? EVENT_TYPES.uploaded : body.type);
  await new Promise<void>((resolve, reject) => {
    publisher.publish(names.exchange, key, content, { persistent: true, contentType: 'application/cloudevents+json', messageId }, (err: unknown) =>
      err ? reject(new Error('publish not confirmed', { cause: err })) : resolve(),
    );
  });
}

/** A queue's type and arguments, from the broker itself. */
async function queueDeclaration(queue: string): Promise<{ type: string; arguments: Record<string, unknown> }> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', '--formatter', 'json', 'name', 'type', 'arguments']);
  const row = (JSON.parse(stdout) as { name: string; type: string; arguments: [string, string, unknown][] }[]).find((r) => r.name === queue);
  if (!row) throw new Error(`no queue ${queue}`);
  return { type: row.type, arguments: Object.fromEntries(row.arguments.map(([name, , value]) => [name, value])) };
}

/** Ready and unacknowledged counts, from the broker itself (AMQP's checkQueue counts only ready). */
async function queueCounts(queue: string): Promise<{ ready: number; unacked: number }> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', '--formatter', 'json', 'name', 'messages_ready', 'messages_unacknowledged']);
  const rows = JSON.parse(stdout) as { name: string; messages_ready: number; messages_unacknowledged: number }[];
  const row = rows.find((r) => r.name === queue);
  if (!row) throw new Error(`no queue ${queue}`);
  return { ready: row.messages_ready, unacked: row.messages_unacknowledged };
}

const settledTo = (queue: string, ready: number) =>
  eventually(async () => {
    const counts = await queueCounts(queue);
    return counts.ready === ready && counts.unacked === 0 ? counts : undefined;
  });

async function messageCount(queue: string): Promise<number> {
  const channel = await amqp.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  await channel.close();
  return messageCount;
}

/** Takes `count` messages off a queue, waiting for them to arrive. */
async function take(queue: string, count: number): Promise<GetMessage[]> {
  const channel = await amqp.createChannel();
  const taken: GetMessage[] = [];
  try {
    return await eventually(async () => {
      const msg = await channel.get(queue, { noAck: true });
      if (msg) taken.push(msg);
      return taken.length >= count ? taken : undefined;
    });
  } finally {
    await channel.close();
  }
}

/** The broker's pids of this config's bridge connections (the bridge names its connection after its queue). */
async function bridgeConnections(config: Config): Promise<string[]> {
  // The plain format, not JSON: close_connection wants the pid as printed here.
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties']);
  const named = `{"connection_name","${bridgeConnectionName(config)}"}`;
  return stdout
    .split('\n')
    .filter((line) => line.includes(named))
    .map((line) => line.split('\t')[0]!);
}

// --- Bridge and Temporal --------------------------------------------------------------------

async function startBridge(config: Config, via: BridgeOptions['gateway'] = gateway): Promise<Bridge> {
  const bridge = createBridge({ config, gateway: via, logger: testLogger });
  bridges.push(bridge);
  await bridge.start();
  return bridge;
}

/** A real gateway on a client whose server is not there: every signal fails (at once: no gRPC retries). */
function unreachableGateway(): VideoGateway {
  const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
  temporalConnections.push(connection);
  return createVideoGateway(new Client({ connection }), { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
}

/** A real gateway whose signals Temporal itself refuses (INVALID_ARGUMENT: a task queue name it reserves). */
function refusedGateway(): VideoGateway {
  return createVideoGateway(h.client, { taskQueue: '/_sys/vidproc-test-refused' });
}

/** Polls a condition on in-process state. */
const until = (condition: () => boolean) => eventually(() => Promise.resolve(condition() ? true : undefined));

const stored = (videoId: string) => findVideo(h.orm.em.fork(), videoId);
const storedWhen = (videoId: string, ok: (v: NonNullable<Awaited<ReturnType<typeof stored>>>) => boolean = () => true) =>
  eventually(async () => {
    const v = await stored(videoId);
    return v && ok(v) ? v : undefined;
  });

// --- Tests ----------------------------------------------------------------------------------

describe('AMQP bridge', () => {
  it('signals valid events to their workflows and acks them, whatever their routing key', async () => {
    const { config, names } = await newTopology();
    const bridge = await startBridge(config);
    expect(bridge.ready()).toBe(true);
    const id = uniqueId();

    await publish(names, ev.uploaded(id, 'alice', 'cat.mp4'));
    await publish(names, ev.started(id), 'vidproc.video.not-the-type'); // informational only
    const row = await storedWhen(id, (v) => v.version === 2);

    expect(row).toMatchObject({ userId: 'alice', fileName: 'cat.mp4', status: 'processing' });
    await settledTo(names.queue, 0);
    await bridge.stop();
    expect(await messageCount(names.queue)).toBe(0);
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
  });

  it("keeps each video's events in the order they were published, while handling videos concurrently", async () => {
    const { config, names } = await newTopology();
    const a = uniqueId();
    const b = uniqueId();
    const events = [ev.uploaded(a, 'u'), ev.uploaded(b, 'u'), ev.started(a), ev.started(b)];
    for (let p = 10; p <= 90; p += 10) events.push(ev.progress(a, p), ev.progress(b, p));
    events.push(ev.completed(a), ev.completed(b));
    // All on the queue before the bridge starts, so it takes them in a burst (prefetch 64).
    for (const e of events) await publish(names, e);
    const signals: string[][] = [];
    await startBridge(config, {
      sendEvents: (batch: VideoEvent[]) => {
        signals.push(batch.map((e) => e.id));
        return gateway.sendEvents(batch);
      },
    });
    for (const id of [a, b]) {
      const published = events.filter((e) => e.subject === id);
      await storedWhen(id, (v) => v.status === 'completed');
      const history = await eventually(async () => {
        const rows = await findHistory(h.orm.em.fork(), id);
        return rows.length === published.length ? rows : undefined;
      });
      expect(history.filter((r) => !r.applied)).toEqual([]);
      expect(history.map((r) => r.eventId)).toEqual(published.map((e) => e.id));
    }
    // A video's queued events share signals (in order), and every event went in exactly one.
    await settledTo(names.queue, 0);
    expect(signals.length).toBeLessThan(events.length);
    expect(signals.flat().sort()).toEqual(events.map((e) => e.id).sort());
    for (const id of [a, b]) {
      const ids = new Set(events.filter((e) => e.subject === id).map((e) => e.id));
      const sent = signals.filter((batch) => ids.has(batch[0]!));
      expect(sent.every((batch) => batch.every((eventId) => ids.has(eventId)))).toBe(true);
      expect(sent.flat()).toEqual(events.filter((e) => e.subject === id).map((e) => e.id));
    }
  });

  it("holds every event of a signal Temporal did not accept, and delivers each once when it is back", async () => {
    const { config, names } = await newTopology();
    const down = unreachableGateway();
    let temporalUp = false;
    const refused: number[] = [];
    const id = uniqueId();
    const events = [ev.uploaded(id, 'gus'), ev.started(id), ev.progress(id, 50), ev.completed(id)];
    for (const e of events) await publish(names, e);
    await startBridge(config, {
      sendEvents: (batch: VideoEvent[]) => {
        if (!temporalUp) refused.push(batch.length);
        return (temporalUp ? gateway : down).sendEvents(batch);
      },
    });
    await until(() => refused.length >= 2);
    expect(Math.max(...refused)).toBeGreaterThan(1); // a refused signal carried several events
    expect(await stored(id)).toBeNull();
    temporalUp = true;
    await storedWhen(id, (v) => v.status === 'completed');
    await settledTo(names.queue, 0);
    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.length === events.length ? rows : undefined;
    });
    // Each event in the history once: none lost, none twice.
    expect(history.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
  });

  it('dead-letters invalid messages with the reason, and goes on with the next message', async () => {
    const { config, names } = await newTopology();
    await startBridge(config);
    const bad = [
      { messageId: 'not-json', body: 'this is not JSON', reason: /^not JSON/ },
      { messageId: 'missing-fields', body: JSON.stringify({ specversion: '1.0', type: EVENT_TYPES.started }), reason: /\bid: .*\bsubject: / },
      { messageId: 'bad-subject', body: JSON.stringify({ ...ev.started('x'), subject: 'my video' }), reason: /^subject: / },
      { messageId: 'http-images-url', body: JSON.stringify(ev.completed('v1', 'http://cdn.example.com/v1.zip')), reason: /^data\.imagesUrl: / },
    ];
    for (const { messageId, body } of bad) await publish(names, body, EVENT_TYPES.started, messageId);
    const id = uniqueId();
    await publish(names, ev.uploaded(id, 'bob'));

    await storedWhen(id);
    const dead = await take(names.deadLetterQueue, bad.length);
    expect(dead.map((m) => m.properties.messageId as string).sort()).toEqual(bad.map((b) => b.messageId).sort());
    for (const { messageId, body, reason } of bad) {
      const msg = dead.find((m) => m.properties.messageId === messageId)!;
      const headers = msg.properties.headers ?? {};
      expect(msg.content.toString()).toBe(body);
      expect(msg.fields.routingKey).toBe(EVENT_TYPES.started);
      expect(headers[DEAD_LETTER_HEADERS.reason]).toMatch(reason);
      expect(headers[DEAD_LETTER_HEADERS.originalExchange]).toBe(names.exchange);
      expect(headers[DEAD_LETTER_HEADERS.originalRoutingKey]).toBe(EVENT_TYPES.started);
      expect(Number.isNaN(Date.parse(String(headers[DEAD_LETTER_HEADERS.deadLetteredAt])))).toBe(false);
      expect(msg.properties.contentType).toBe('application/cloudevents+json');
    }
    await settledTo(names.queue, 0);
  });

  it('dead-letters an event Temporal refuses AMQP_DELIVERY_LIMIT times, with its reason, and loses nothing else', async () => {
    const limit = 3;
    const { config, names } = await newTopology({ AMQP_DELIVERY_LIMIT: String(limit) });
    const refusing = refusedGateway();
    const poison = uniqueId();
    const healthy = uniqueId();
    const refusals = new Map<string, number>();
    await startBridge(config, {
      sendEvents: (batch: VideoEvent[]) => {
        if (batch[0]!.subject !== poison) return gateway.sendEvents(batch);
        for (const e of batch) refusals.set(e.id, (refusals.get(e.id) ?? 0) + 1);
        return refusing.sendEvents(batch);
      },
    });
    const poisoned = [ev.uploaded(poison, 'mallory'), ev.started(poison)];
    const fine = [ev.uploaded(healthy, 'erin'), ev.started(healthy), ev.progress(healthy, 50), ev.completed(healthy)];
    for (const e of [poisoned[0]!, fine[0]!, fine[1]!, poisoned[1]!, fine[2]!, fine[3]!]) await publish(names, e, undefined, e.id);

    const dead = await take(names.deadLetterQueue, poisoned.length);
    expect(dead.map((m) => m.properties.messageId as string).sort()).toEqual(poisoned.map((e) => e.id).sort());
    for (const msg of dead) {
      const headers = msg.properties.headers ?? {};
      expect(headers[DEAD_LETTER_HEADERS.reason]).toMatch(new RegExp(`^Temporal refused the signal: .*reserved prefix.* \\(refused ${limit} times; AMQP_DELIVERY_LIMIT is ${limit}\\)$`));
      expect(headers[DEAD_LETTER_HEADERS.originalExchange]).toBe(names.exchange);
      expect(headers[DEAD_LETTER_HEADERS.originalRoutingKey]).toBe(msg.fields.routingKey);
      expect(JSON.parse(msg.content.toString())).toEqual(poisoned.find((e) => e.id === msg.properties.messageId));
    }
    // Each was offered to Temporal exactly `limit` times: refused, requeued, and dead-lettered on the last.
    expect(Object.fromEntries(refusals)).toEqual(Object.fromEntries(poisoned.map((e) => [e.id, limit])));

    // The other video went through whole, each event once; nothing is left on the queue or dead-lettered twice.
    await storedWhen(healthy, (v) => v.status === 'completed');
    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), healthy);
      return rows.length === fine.length ? rows : undefined;
    });
    expect(history.map((r) => r.eventId)).toEqual(fine.map((e) => e.id));
    expect(await stored(poison)).toBeNull();
    await settledTo(names.queue, 0);
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
  });

  it('holds events while Temporal is unreachable without spending their delivery limit', async () => {
    const { config, names } = await newTopology({ AMQP_DELIVERY_LIMIT: '1' });
    const down = unreachableGateway();
    let temporalUp = false;
    let attempts = 0;
    await startBridge(config, {
      sendEvents: (events: VideoEvent[]) => {
        attempts++;
        return (temporalUp ? gateway : down).sendEvents(events);
      },
    });
    const id = uniqueId();
    await publish(names, ev.uploaded(id, 'olga'));
    // With a limit of 1, a single requeue would have dead-lettered it.
    await until(() => attempts >= 3);
    // Held by the bridge (the broker's counts lag a little behind), neither requeued nor dead-lettered.
    await eventually(async () => {
      const counts = await queueCounts(names.queue);
      return counts.ready === 0 && counts.unacked === 1 ? counts : undefined;
    });
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
    temporalUp = true;
    await storedWhen(id, (v) => v.userId === 'olga');
    await settledTo(names.queue, 0);
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
  });

  it('declares quorum queues: the tracker\'s with the delivery limit and at-least-once dead-lettering, the dead letters\' without a limit', async () => {
    const { names } = await newTopology({ AMQP_DELIVERY_LIMIT: '7' });
    expect(await queueDeclaration(names.queue)).toEqual({
      type: 'quorum',
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': 7,
        'x-dead-letter-exchange': names.deadLetterExchange,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    expect(await queueDeclaration(names.deadLetterQueue)).toEqual({ type: 'quorum', arguments: { 'x-queue-type': 'quorum' } });
  });

  it('refuses to start beside the classic queue of an earlier release, naming the command that migrates it', async () => {
    const config = testConfig();
    const names = topologyNames(config);
    const channel = await amqp.createChannel();
    await channel.assertQueue(names.classic.queue, { durable: true }); // what earlier releases declared
    try {
      const bridge = createBridge({ config, gateway, logger: testLogger });
      bridges.push(bridge);
      const started = bridge.start();
      await expect(started).rejects.toThrow(TopologyConflictError);
      await expect(started).rejects.toThrow(new RegExp(`classic queue ${names.classic.queue} .*${MIGRATE_COMMAND}`));
      expect(bridge.ready()).toBe(false);
      await eventually(async () => ((await bridgeConnections(config)).length === 0 ? true : undefined));
    } finally {
      await channel.deleteQueue(names.classic.queue);
      await channel.close();
    }
  });

  it('refuses to start when the queue was declared with another delivery limit, naming the value to set', async () => {
    const { config } = await newTopology({ AMQP_DELIVERY_LIMIT: '5' });
    const bridge = createBridge({ config: { ...config, AMQP_DELIVERY_LIMIT: 9 }, gateway, logger: testLogger });
    bridges.push(bridge);
    await expect(bridge.start()).rejects.toThrow(/declared with delivery limit 5, and AMQP_DELIVERY_LIMIT is 9: set AMQP_DELIVERY_LIMIT=5/);
  });

  it('keeps an event Temporal does not accept, and delivers it once Temporal is reachable', async () => {
    const { config, names } = await newTopology();
    const down = unreachableGateway();
    let attempts = 0;
    const first = await startBridge(config, {
      sendEvents: (events: VideoEvent[]) => {
        attempts++;
        return down.sendEvents(events);
      },
    });
    const id = uniqueId();
    await publish(names, ev.uploaded(id, 'carol'));

    // A second attempt means the first failure kept the message rather than acking or dropping it.
    await until(() => attempts >= 2);
    await first.stop();
    await settledTo(names.queue, 1);
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
    expect(await stored(id)).toBeNull();

    await startBridge(config);
    await storedWhen(id, (v) => v.userId === 'carol');
    await settledTo(names.queue, 0);
  });

  it('backs off while Temporal is unreachable, then delivers the event once when it is back (same bridge)', async () => {
    const { config, names } = await newTopology();
    const down = unreachableGateway();
    let temporalUp = false;
    let attempts = 0;
    await startBridge(config, {
      sendEvents: (events: VideoEvent[]) => {
        attempts++;
        return (temporalUp ? gateway : down).sendEvents(events);
      },
    });
    const id = uniqueId();
    await publish(names, ev.uploaded(id, 'dora'));
    // Tried again after each failure (with a growing backoff), never acked or dead-lettered meanwhile.
    await until(() => attempts >= 3);
    expect(await stored(id)).toBeNull();
    expect(await messageCount(names.deadLetterQueue)).toBe(0);

    temporalUp = true;
    await storedWhen(id, (v) => v.userId === 'dora');
    await settledTo(names.queue, 0);
    expect(await messageCount(names.deadLetterQueue)).toBe(0);
    expect(await findHistory(h.orm.em.fork(), id)).toHaveLength(1);
  });

  it('reconnects after the broker drops its connection, and resumes consuming', async () => {
    const { config, names } = await newTopology();
    const bridge = await startBridge(config);
    const before = uniqueId();
    await publish(names, ev.uploaded(before, 'dave'));
    await storedWhen(before);

    const [dropped] = await eventually(async () => {
      const found = await bridgeConnections(config);
      return found.length === 1 ? found : undefined;
    });
    await run('rabbitmqctl', ['close_connection', dropped!, 'test: dropping the bridge connection']);
    await eventually(async () => {
      const found = await bridgeConnections(config);
      return found.length === 1 && found[0] !== dropped ? found : undefined;
    });

    const after = uniqueId();
    await publish(names, ev.uploaded(after, 'dave'));
    await storedWhen(after);
    await until(() => bridge.ready());
    await settledTo(names.queue, 0);
  });

  it('stop() lets in-flight events finish and be acked, then closes', async () => {
    const prefetch = 3;
    const { config, names } = await newTopology({ AMQP_PREFETCH: String(prefetch) });
    const ids = Array.from({ length: 3 * prefetch }, () => uniqueId());
    for (const id of ids) await publish(names, ev.uploaded(id, 'erin'));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: string[] = [];
    const delivered: string[] = [];
    const bridge = await startBridge(config, {
      async sendEvents(events: VideoEvent[]) {
        const subject = events[0]!.subject;
        held.push(subject);
        await gate;
        await gateway.sendEvents(events);
        delivered.push(subject);
      },
    });
    await until(() => held.length === prefetch);

    let stopped = false;
    const stopping = bridge.stop().then(() => (stopped = true));
    expect(bridge.ready()).toBe(false);
    await eventually(async () => ((await queueCounts(names.queue)).unacked === prefetch ? true : undefined));
    expect(stopped).toBe(false); // held back by the in-flight events
    release();
    await stopping;

    expect(delivered.sort()).toEqual([...held].sort());
    expect(bridge.ready()).toBe(false);
    await expect(bridge.stop()).resolves.toBeUndefined(); // idempotent
    await settledTo(names.queue, ids.length - prefetch);
    for (const id of delivered) await storedWhen(id);
    await eventually(async () => ((await bridgeConnections(config)).length === 0 ? true : undefined));
  });
});

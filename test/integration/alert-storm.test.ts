/**
 * Alerts that scale: many videos stalling together make a handful of grouped alerts, not one
 * each, and their reprocess commands are paced. The storm runs on Temporal's time-skipping test
 * server (production's minutes in seconds) with the real workflow bundle, worker and activities
 * (Postgres, reprocess commands on the real RabbitMQ, alerts POSTed to a real HTTP receiver); the
 * pacing runs on the real dev server, whose matching service enforces the task queue's rate (the
 * time-skipping server does not).
 * ALERT_STORM_VIDEOS sets the storm's size (default 1,000).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { GroupedAlert } from '../../src/domain/alert-digest.js';
import { COMMAND_TYPES } from '../../src/domain/events.js';
import type { AlertKind } from '../../src/domain/stall.js';
import { findHistory } from '../../src/db/video-store.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startCommandReceiver, startWebhookReceiver, type CommandReceiver, type WebhookReceiver } from '../support/receivers.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const STORM = Number(process.env.ALERT_STORM_VIDEOS ?? 1_000);
const MINUTE = 60_000;
const WEB_UI = 'http://temporal-ui.test:8233';

/** Runs `task` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

interface Stack {
  h: TemporalHarness;
  videos: VideoGateway;
  webhook: WebhookReceiver;
  commands: CommandReceiver;
  stop(): Promise<void>;
}

async function startStack(overrides: Record<string, string>, server?: TestWorkflowEnvironment): Promise<Stack> {
  const webhook = await startWebhookReceiver();
  const h = await startHarness(
    testConfig({ ALERT_WEBHOOK_URL: webhook.url, TEMPORAL_WEB_UI_URL: WEB_UI, ...overrides }),
    server && { address: server.address, client: server.client, connection: server.connection },
  );
  const commands = await startCommandReceiver(h.config.AMQP_URL, h.config.AMQP_EXCHANGE, COMMAND_TYPES.reprocess);
  const videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  return {
    h,
    videos,
    webhook,
    commands,
    async stop() {
      await commands.close();
      await h.stop();
      await webhook.close();
    },
  };
}

/** What the receiver got about these videos, of this kind: the alerts one by one, and the grouped ones. */
function received(s: Stack, kind: AlertKind, ids: Set<string>) {
  const single = s.webhook.alerts.filter((a) => a.kind === kind && ids.has(a.videoId));
  const grouped = s.webhook.grouped.filter((g) => g.kind === kind && g.videoIds.some((id) => ids.has(id)));
  const count = single.length + grouped.reduce((n, g) => n + g.count, 0);
  return { single, grouped, count };
}

/** Waits until the alerts of this kind stand for every one of `ids` (the grouped ones count theirs). */
const allAlerted = (s: Stack, kind: AlertKind, ids: Set<string>) =>
  eventually(() => {
    const got = received(s, kind, ids);
    return got.count >= ids.size ? got : undefined;
  }, { timeoutMs: 120_000, everyMs: 250 });

/** A grouped alert of a storm, checked for what an operator reads in it. */
function expectWellFormed(g: GroupedAlert, ids: Set<string>, sampleSize: number) {
  expect(g.videoIds.length).toBe(Math.min(sampleSize, g.count));
  expect(new Set(g.videoIds).size).toBe(g.videoIds.length);
  expect(g.videoIds.every((id) => ids.has(id))).toBe(true);
  expect(g.webUiUrl).toBe(`${WEB_UI}/namespaces/default/workflows?query=${encodeURIComponent(g.query)}`);
  expect(g.text).toContain(`${g.count} video`);
  expect(g.text).toContain(g.videoIds[0]!);
  expect(Date.parse(g.firstAt)).toBeLessThanOrEqual(Date.parse(g.lastAt));
}

describe(`a storm: ${STORM} videos stall within a minute (time-skipping server)`, () => {
  let env: TestWorkflowEnvironment;
  let s: Stack;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
    // Uploaded 15m (production's), repeat every 10m, one reprocess attempt: stalled at 15m,
    // repeated at 25m, timed out at 30m. Alerts grouped over a minute past 3 of a kind.
    s = await startStack(
      {
        STUCK_UPLOADED_AFTER: '15m',
        STUCK_PROCESSING_AFTER: '30m',
        ALERT_REPEAT_AFTER: '10m',
        MAX_REPROCESS: '1',
        ALERT_GROUP_WINDOW: '1m',
        ALERT_GROUP_THRESHOLD: '3',
        ALERT_GROUP_SAMPLE: '10',
        REPROCESS_RATE: '1000',
      },
      env,
    );
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await env?.teardown();
  });

  it('a single stall goes out alone, at once (not held for a window)', async () => {
    const id = uniqueId('lone');
    await s.videos.sendEvent(ev.uploaded(id, 'alice'));
    // Stalled at 15m; a batch would go out a window later (16m): at 15m30s it is already here.
    await env.sleep(15 * MINUTE + 30_000);
    const alone = await eventually(() => s.webhook.alerts.find((a) => a.videoId === id));
    expect(alone).toMatchObject({ kind: 'video.stalled', videoId: id, userId: 'alice', status: 'uploaded' });
    expect(s.webhook.grouped).toEqual([]);
    await s.videos.sendEvent(ev.failed(id, 'E', 'done with this test'));
    await eventually(() => s.webhook.alerts.find((a) => a.videoId === id && a.kind === 'video.recovered'));
  });

  it(`${STORM} stalls make a handful of grouped alerts (stalled, repeated, recovered), and every reprocess command goes out once`, async () => {
    const began = Date.now();
    const ids = Array.from({ length: STORM }, (_, i) => uniqueId(`storm${i}`));
    const storm = new Set(ids);
    const uploadedFrom = await env.currentTimeMs();
    await inParallel(ids, 50, (id) => s.videos.sendEvent(ev.uploaded(id, 'bob')));
    const uploadedIn = (await env.currentTimeMs()) - uploadedFrom;
    expect(uploadedIn).toBeLessThan(MINUTE); // the premise: they stall within a minute
    const uploadedAt = Date.now();

    // --- Stalled: a handful of messages for all of them ---
    await env.sleep(16 * MINUTE);
    await env.sleep(2 * MINUTE); // the last batch's window
    const stalled = await allAlerted(s, 'video.stalled', storm);
    const stalledAt = Date.now();
    expect(stalled.count).toBe(STORM);
    expect(stalled.single.length).toBeLessThanOrEqual(3);
    expect(stalled.grouped.length).toBeGreaterThanOrEqual(1);
    expect(stalled.grouped.length).toBeLessThanOrEqual(3);
    for (const g of stalled.grouped) {
      expect(g).toMatchObject({ grouped: true, status: 'uploaded' });
      expect(g.query).toContain('VideoStalled = true AND VideoStatus = "uploaded"');
      expectWellFormed(g, storm, 10);
    }
    // Every video's own stall is in its history (and was logged by the worker) all the same.
    const histories = await Promise.all(ids.slice(0, 50).map((id) => findHistory(s.h.orm.em.fork(), id)));
    expect(histories.every((h) => h.some((r) => r.type === 'vidproc.video.stalled'))).toBe(true);

    // --- Reprocess commands: one per video, none lost, none twice ---
    const commands = await eventually(() => {
      const mine = s.commands.commands.filter((c) => storm.has(c.subject));
      return mine.length >= STORM ? mine : undefined;
    }, { timeoutMs: 120_000 });
    expect(new Set(commands.map((c) => c.id)).size).toBe(STORM);
    expect(commands.every((c) => c.id === `${c.subject}:reprocess:1`)).toBe(true);

    // --- Repeated at 25m: grouped likewise ---
    await env.sleep(8 * MINUTE);
    const repeated = await allAlerted(s, 'video.stalled.repeat', storm);
    expect(repeated.count).toBe(STORM);
    expect(repeated.single.length + repeated.grouped.length).toBeLessThanOrEqual(6);
    for (const g of repeated.grouped) expectWellFormed(g, storm, 10);

    // --- Recovered: the processing service is back, every video moves on (before the 30m give-up) ---
    const recoveringAt = Date.now();
    await inParallel(ids, 50, (id) => s.videos.sendEvent(ev.started(id)));
    await env.sleep(2 * MINUTE);
    const recovered = await allAlerted(s, 'video.recovered', storm);
    expect(recovered.count).toBe(STORM);
    expect(recovered.single.length + recovered.grouped.length).toBeLessThanOrEqual(6);
    for (const g of recovered.grouped) {
      expect(g).toMatchObject({ status: 'processing' });
      expect(g.query).toContain('WorkflowId IN (');
      expectWellFormed(g, storm, 10);
    }
    const sample = ids[ids.length - 1]!;
    expect(await env.client.workflow.getHandle(workflowIdFor(sample)).query(getStatusQuery)).toMatchObject({ status: 'processing', stalled: false });

    // Nothing else about these videos: no alert of theirs went out twice.
    const theirs = s.webhook.received.filter(({ message }) => ('grouped' in message ? message.videoIds.some((id) => storm.has(id)) : storm.has(message.videoId)));
    expect(theirs.length).toBe(stalled.single.length + stalled.grouped.length + repeated.single.length + repeated.grouped.length + recovered.single.length + recovered.grouped.length);
    process.stdout.write(
      `alert storm of ${STORM}: uploaded in ${uploadedAt - began} ms (server ${uploadedIn} ms), stalled and alerted in ${stalledAt - uploadedAt} ms, ` +
        `recovered in ${Date.now() - recoveringAt} ms; ${theirs.length} alert messages in all; total ${Date.now() - began} ms\n`,
    );
  }, 600_000);
});

describe('pacing: reprocess commands go out at REPROCESS_RATE (dev server)', () => {
  const VIDEOS = 30;
  const RATE = 5;
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      STUCK_UPLOADED_AFTER: '1s',
      STUCK_PROCESSING_AFTER: '1h',
      ALERT_REPEAT_AFTER: '1h',
      MAX_REPROCESS: '1',
      // Wide enough that the 30 stalls fall in one window however slowly a busy machine starts
      // them (CI saw them spread over three 2 s windows: three alone in each).
      ALERT_GROUP_WINDOW: '10s',
      ALERT_GROUP_THRESHOLD: '3',
      REPROCESS_RATE: String(RATE),
    });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it(`${VIDEOS} videos stalling at once: every command goes out, at most about ${RATE} a second; the alerts are grouped meanwhile`, async () => {
    const ids = Array.from({ length: VIDEOS }, (_, i) => uniqueId(`paced${i}`));
    const set = new Set(ids);
    await inParallel(ids, VIDEOS, (id) => s.videos.sendEvent(ev.uploaded(id, 'carol')));
    const commands = await eventually(() => {
      const mine = s.commands.commands.filter((c) => set.has(c.subject));
      return mine.length >= VIDEOS ? mine : undefined;
    }, { timeoutMs: 60_000, everyMs: 200 });
    expect(new Set(commands.map((c) => c.id)).size).toBe(VIDEOS);
    const times = s.commands.commands.flatMap((c, i) => (set.has(c.subject) ? [s.commands.arrivals[i]!] : []));
    // The most that arrived within any one second: the rate, plus the server's burst allowance (a
    // token bucket as deep as the rate), plus 2 for the delivery's jitter bunching arrivals. So
    // they cannot all have come at once: they took at least (VIDEOS - 2 * RATE) / RATE seconds.
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1_000).length));
    const span = times.at(-1)! - times[0]!;
    process.stdout.write(`paced: ${VIDEOS} commands in ${span} ms, at most ${busiest} within a second (rate ${RATE})\n`);
    expect(busiest).toBeLessThanOrEqual(2 * RATE + 2);
    expect(span).toBeGreaterThanOrEqual(((VIDEOS - 2 * RATE - 2) / RATE) * 1_000);

    // The alerts did not wait behind the commands: all stalls were reported, grouped.
    const stalled = await allAlerted(s, 'video.stalled', set);
    expect(stalled.single.length).toBeLessThanOrEqual(3);
    expect(stalled.grouped.length).toBeLessThanOrEqual(2);
    for (const g of stalled.grouped) expectWellFormed(g, set, 10);
    for (const id of ids) await s.videos.sendEvent(ev.failed(id, 'E', 'done with this test'));
  });
});

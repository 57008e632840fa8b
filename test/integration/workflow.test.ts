/**
 * The video workflow on the real Temporal dev server with a real worker, writing the real
 * Postgres projection.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import { createVideoGateway, VideoOwnedByAnotherUserError, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testLogger, type TemporalHarness } from '../support/env.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.js';
import { msToTs } from '@temporalio/common/lib/time.js';

let h: TemporalHarness;
let videos: VideoGateway;

beforeAll(async () => {
  h = await startHarness();
  videos = createVideoGateway(h.client, {
    taskQueue: h.config.TEMPORAL_TASK_QUEUE,
    workflowDefaults: { lingerMs: 60_000 },
  });
});
afterAll(async () => {
  await h?.stop();
});

const stored = (videoId: string) => findVideo(h.orm.em.fork(), videoId);
const storedWhen = (videoId: string, ok: (v: NonNullable<Awaited<ReturnType<typeof stored>>>) => boolean) =>
  eventually(async () => {
    const v = await stored(videoId);
    return v && ok(v) ? v : undefined;
  });
const query = (videoId: string) => h.client.workflow.getHandle(workflowIdFor(videoId)).query(getStatusQuery);

describe('video workflow', () => {
  it('follows a video from upload to completion and projects every step to Postgres', async () => {
    const id = uniqueId();
    await videos.sendEvent(ev.uploaded(id, 'alice', 'cat.mp4'));
    await videos.sendEvent(ev.started(id));
    await videos.sendEvent(ev.progress(id, 50));
    await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/cat.zip', 240));

    const row = await storedWhen(id, (v) => v.status === 'completed');
    expect(row).toMatchObject({
      videoId: id,
      userId: 'alice',
      fileName: 'cat.mp4',
      progress: 100,
      imagesUrl: 'https://cdn.example.com/cat.zip',
      frameCount: 240,
      version: 4,
    });
    expect(await query(id)).toMatchObject({ status: 'completed', userId: 'alice', progress: 100 });
    const history = await findHistory(h.orm.em.fork(), id);
    expect(history.map((r) => [r.type, r.applied])).toEqual([
      ['vidproc.video.uploaded', true],
      ['vidproc.video.processing.started', true],
      ['vidproc.video.processing.progress', true],
      ['vidproc.video.processing.completed', true],
    ]);
  });

  it('ignores late and duplicate events, and records why', async () => {
    const id = uniqueId();
    const started = ev.started(id);
    await videos.sendEvent(started);
    await videos.sendEvent(ev.failed(id, 'E_DECODE', 'corrupt stream'));
    await videos.sendEvent(started); // duplicate id
    await videos.sendEvent(ev.started(id)); // late
    await videos.sendEvent(ev.completed(id)); // after terminal

    const row = await storedWhen(id, (v) => v.version === 5);
    expect(row).toMatchObject({ status: 'failed', error: { code: 'E_DECODE', message: 'corrupt stream' } });
    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.length === 5 ? rows : undefined;
    });
    expect(history.map((r) => [r.applied, r.reason])).toEqual([
      [true, 'processing started'],
      [true, 'processing failed: E_DECODE'],
      [false, 'duplicate event id'],
      [false, 'video is already failed'],
      [false, 'video is already failed'],
    ]);
  });

  it('keeps search attributes and current details in step with the status', async () => {
    const id = uniqueId();
    await videos.sendEvent(ev.uploaded(id, 'bob'));
    await videos.sendEvent(ev.started(id));
    await storedWhen(id, (v) => v.status === 'processing');
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const description = await eventually(async () => {
      const d = await handle.describe();
      return d.searchAttributes.VideoStatus?.[0] === 'processing' ? d : undefined;
    });
    expect(description.searchAttributes.VideoUserId).toEqual(['bob']);
    const listed = await eventually(async () => {
      const found: string[] = [];
      for await (const w of h.client.workflow.list({ query: `VideoStatus = "processing" AND VideoUserId = "bob" AND WorkflowId = "${workflowIdFor(id)}"` })) {
        found.push(w.workflowId);
      }
      return found.length > 0 ? found : undefined;
    });
    expect(listed).toEqual([workflowIdFor(id)]);

    // What the Web UI shows: the summary given at start, and the current details.
    expect(await description.staticSummary()).toBe(`Video ${id}`);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^Processing: 0% done/);
  });

  it('registers the search attributes on a namespace that lacks them, once', async () => {
    const namespace = `ns-${uniqueId()}`;
    await h.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await eventually(async () => {
      await h.connection.workflowService.describeNamespace({ namespace });
      return true;
    });
    expect(await ensureSearchAttributes(h.connection, namespace, testLogger)).toEqual(['VideoStatus', 'VideoUserId', 'VideoStalled']);
    const { customAttributes } = await h.connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['VideoStatus', 'VideoUserId', 'VideoStalled']));
    expect(await ensureSearchAttributes(h.connection, namespace, testLogger)).toEqual([]);
  });

  it('batches a flood of progress events into few Postgres writes', async () => {
    const id = uniqueId();
    await videos.sendEvent(ev.started(id));
    // Each progress event is applied (visible to queries) before the next is sent, so only the
    // write batching can keep the writes few.
    for (let p = 1; p <= 20; p++) {
      await videos.sendEvent(ev.progress(id, p));
      await eventually(async () => ((await query(id)).progress === p ? true : undefined), { everyMs: 10 });
    }
    await videos.sendEvent(ev.completed(id));
    await storedWhen(id, (v) => v.status === 'completed' && v.version === 22);
    const history = await findHistory(h.orm.em.fork(), id);
    expect(history).toHaveLength(22);

    // Writes run as local activities: each call leaves one marker in the workflow history.
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const events = (await handle.fetchHistory()).events ?? [];
    const calls = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    // The start, a few progress batches, the completion (the load is a regular activity); one write per event would be 22.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThan(10);
    // Re-arming the stage deadline on each event starts no timer of its own (one per event would be 22+).
    expect(events.filter((e) => e.timerStartedEventAttributes).length).toBeLessThan(8);
  });

  it('registers an upload: the first owner wins, the same owner again is not new, another owner is refused', async () => {
    const id = uniqueId();
    const first = await videos.register(id, 'carol', 'dog.mp4');
    expect(first.created).toBe(true);
    expect(first.view).toMatchObject({ videoId: id, userId: 'carol', status: 'uploaded' });
    const again = await videos.register(id, 'carol');
    expect(again.created).toBe(false);
    await expect(videos.register(id, 'mallory')).rejects.toBeInstanceOf(VideoOwnedByAnotherUserError);
    await storedWhen(id, (v) => v.userId === 'carol' && v.fileName === 'dog.mp4');
  });

  it('nobody can claim a video the processing service knows without an owner; its uploaded event names the owner', async () => {
    const id = uniqueId();
    await videos.sendEvent(ev.started(id));
    await storedWhen(id, (v) => v.status === 'processing');
    await expect(videos.register(id, 'mallory')).rejects.toBeInstanceOf(VideoOwnedByAnotherUserError);
    await videos.sendEvent(ev.uploaded(id, 'dave', 'late.mp4'));
    await storedWhen(id, (v) => v.userId === 'dave');
    await expect(videos.register(id, 'dave')).resolves.toMatchObject({ created: false, view: { userId: 'dave' } });
  });
});

describe('video workflow lifecycle', () => {
  it('closes after lingering, and a late event never reopens the finished video', async () => {
    const short = createVideoGateway(h.client, {
      taskQueue: h.config.TEMPORAL_TASK_QUEUE,
      workflowDefaults: { lingerMs: 500 },
    });
    const id = uniqueId();
    await short.sendEvent(ev.uploaded(id, 'erin'));
    await short.sendEvent(ev.completed(id));
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });

    await short.sendEvent(ev.started(id)); // a new run, from the projection
    await short.sendEvent(ev.progress(id, 10));
    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.length === 4 ? rows : undefined;
    });
    expect(history.slice(2).map((r) => [r.applied, r.reason])).toEqual([
      [false, 'video is already completed'],
      [false, 'video is already completed'],
    ]);
    expect(await stored(id)).toMatchObject({ status: 'completed', userId: 'erin', version: 4 });
    const newRun = h.client.workflow.getHandle(workflowIdFor(id));
    await expect(newRun.result()).resolves.toMatchObject({ status: 'completed' });
  });

  it('continues as new when its history grows, keeping state and dedupe', async () => {
    const small = createVideoGateway(h.client, {
      taskQueue: h.config.TEMPORAL_TASK_QUEUE,
      workflowDefaults: { lingerMs: 60_000, continueAsNewAfterEvents: 40 },
    });
    const id = uniqueId();
    const started = ev.started(id);
    await small.sendEvent(ev.uploaded(id, 'frank'));
    await small.sendEvent(started);
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const firstRunId = (await handle.describe()).runId;
    for (let p = 1; p <= 30; p++) await small.sendEvent(ev.progress(id, p));
    await eventually(async () => ((await handle.describe()).runId !== firstRunId ? true : undefined));

    await small.sendEvent(started); // duplicate from before the continue-as-new
    await small.sendEvent(ev.completed(id));
    const row = await storedWhen(id, (v) => v.status === 'completed');
    expect(row).toMatchObject({ userId: 'frank', version: 34 });
    const history = await findHistory(h.orm.em.fork(), id);
    expect(history).toHaveLength(34);
    expect(history[32]).toMatchObject({ applied: false, reason: 'duplicate event id' });
    expect(await query(id)).toMatchObject({ status: 'completed', progress: 100 });
  });
});

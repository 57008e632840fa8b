/**
 * One trace per event, through the real processes: `vidproc bridge`, `vidproc worker` and
 * `vidproc api` run as they do in production (child processes, configured by OTEL_* only), with
 * RabbitMQ, the Temporal dev server and Postgres, exporting over OTLP/HTTP to a receiver here.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connect } from 'amqplib';
import { OPERATOR_ROLE, signDevToken } from '../../src/api/lib/auth.js';
import { toCloudEventMessage } from '../../src/amqp/cloudevent-message.js';
import { topologyNames } from '../../src/amqp/topology.js';
import { loadConfig } from '../../src/config/env.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { createEventPublisher, type EventPublisher } from '../support/event-publisher.js';
import { ev, uniqueId } from '../support/events.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { READY, startVidproc, stopVidprocs, type VidprocProcess } from '../support/vidproc-process.js';

const SECRET = 'tracing-test-secret-tracing-test-secret-0123';
const suffix = uniqueId('t');
const names = { TEMPORAL_TASK_QUEUE: `test-${suffix}`, AMQP_EXCHANGE: `test.events.${suffix}`, AMQP_QUEUE: `test.tracker.${suffix}` };
const SPAN_KIND = { server: 2, consumer: 5 }; // OTLP's numbering

/** A W3C trace context as a producer would send it. */
const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
};

/** The CloudEvents distributed-tracing extension's attributes, on the event itself. */
const withTrace = (event: VideoEvent, traceparent: string, tracestate?: string) => Object.assign(event, { traceparent }, tracestate ? { tracestate } : {});

let receiver: OtlpReceiver;
let publisher: EventPublisher;
let amqpUrl: string;
let queue: string;
let bundleDir: string;
let api: VidprocProcess;
let apiUrl: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const config = loadConfig({ ...process.env, ...names });
  amqpUrl = config.AMQP_URL;
  queue = topologyNames(config).queue;
  publisher = await createEventPublisher(amqpUrl, config);
  // The traced twin of a prebuilt bundle, as scripts/bundle-workflows.mjs writes it (only the twin: tracing is on).
  bundleDir = await mkdtemp(join(tmpdir(), 'vidproc-tracing-'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
    workflowInterceptorModules: [fileURLToPath(new URL('../../src/tracing/workflow-interceptors.ts', import.meta.url))],
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  await writeFile(join(bundleDir, 'bundle.traced.js'), code);
  const env = {
    ...names,
    LOG_LEVEL: 'info',
    AUTH_JWT_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKFLOW_BUNDLE_PATH: join(bundleDir, 'bundle.js'),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  const worker = startVidproc('worker', env);
  startVidproc('bridge', env);
  api = startVidproc('api', env);
  const [, listening] = await Promise.all([worker.waitFor(READY.worker, 90_000), api.waitFor(READY.api, 90_000)]);
  apiUrl = listening[1]!;
}, 150_000);

afterAll(async () => {
  await stopVidprocs();
  await publisher?.deleteTopology();
  await publisher?.close();
  await receiver?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
}, 60_000);

/** The spans of a trace, once `done` says it has what the test waits for. */
async function traceOf(traceId: string, done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 30_000): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    if (done(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} incomplete: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.spanId, s.parentSpanId]))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const one = (spans: ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
  const found = spans.filter(predicate);
  if (found.length === 0) throw new Error(`no ${what} span in ${JSON.stringify(spans.map((s) => s.name))}`);
  return found[0]!;
};
const isQuery = (span: ReceivedSpan) => span.attributes['db.system'] === 'postgresql' && span.name.startsWith('pg.query');
/** The write of the projection traced down to Postgres: a query inside the recordVideo activity. */
const writtenToPostgres = (spans: ReceivedSpan[]) => {
  const activity = spans.find((span) => span.name === 'RunActivity:recordVideo');
  return activity !== undefined && spans.some((span) => isQuery(span) && span.parentSpanId === activity.spanId);
};
/**
 * The same, with the workflow's span that scheduled the write: the worker exports the workflow's
 * spans apart from the activity's, so they can arrive later.
 */
const writtenAndScheduled = (spans: ReceivedSpan[]) => writtenToPostgres(spans) && spans.some((span) => span.name === 'StartActivity:recordVideo');

describe('tracing (OTEL_* set)', () => {
  it('follows an event with a traceparent attribute: bridge -> signal -> workflow -> activity -> Postgres, in its trace', async () => {
    const { traceId, parentId, traceparent } = newTraceparent();
    const videoId = uniqueId('traced');
    publisher.publish(withTrace(ev.uploaded(videoId, 'user-traced'), traceparent, 'vendor=1'));
    await publisher.confirm();

    const spans = await traceOf(traceId, writtenAndScheduled);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    // The bridge continues the producer's span.
    const bridge = one(spans, (span) => span.service === 'vidproc-bridge' && span.kind === SPAN_KIND.consumer, 'bridge');
    expect(bridge.parentSpanId).toBe(parentId);
    expect(bridge.name).toBe(`${queue} process`);
    expect(bridge.attributes).toMatchObject({ 'vidproc.video_id': videoId, 'messaging.system': 'rabbitmq', 'messaging.batch.message_count': 1 });
    // Its signal (with start), from the bridge's Temporal client.
    const signal = one(spans, (span) => span.name === 'SignalWithStartWorkflow:videoWorkflow', 'signal');
    expect(signal.parentSpanId).toBe(bridge.spanId);
    // The workflow handles it (spans from the sandbox, exported by the worker).
    const handled = one(spans, (span) => span.name === 'HandleSignal:event', 'signal handling');
    expect(handled.parentSpanId).toBe(signal.spanId);
    expect(handled.service).toBe('vidproc-worker');
    // The projection's write is scheduled in the event's trace, not the workflow run's.
    const scheduled = one(spans, (span) => span.name === 'StartActivity:recordVideo', 'activity scheduling');
    expect(scheduled.parentSpanId).toBe(handled.spanId);
    const activity = one(spans, (span) => span.name === 'RunActivity:recordVideo', 'activity');
    expect(activity.parentSpanId).toBe(scheduled.spanId);
    // And the activity's queries are in it.
    const query = one(spans, (span) => isQuery(span) && span.parentSpanId === activity.spanId, 'Postgres query');
    expect(query.service).toBe('vidproc-worker');
  });

  it('follows a later event of a running video in its own trace, not the one that started the workflow', async () => {
    const videoId = uniqueId('traced');
    const first = newTraceparent();
    publisher.publish(withTrace(ev.uploaded(videoId, 'user-traced'), first.traceparent));
    await publisher.confirm();
    await traceOf(first.traceId, writtenToPostgres);

    const { traceId, traceparent } = newTraceparent();
    publisher.publish(withTrace(ev.started(videoId), traceparent));
    await publisher.confirm();
    const spans = await traceOf(traceId, writtenAndScheduled);
    const handled = one(spans, (span) => span.name === 'HandleSignal:event', 'signal handling');
    const scheduled = one(spans, (span) => span.name === 'StartActivity:recordVideo', 'activity scheduling');
    expect(scheduled.parentSpanId).toBe(handled.spanId);
    expect(spans.some((span) => span.name.startsWith('RunWorkflow:'))).toBe(false); // the workflow was running already
  });

  it('takes the trace context from the AMQP application properties too (cloudEvents:traceparent)', async () => {
    const { traceId, parentId, traceparent } = newTraceparent();
    const videoId = uniqueId('traced');
    const model = await connect(amqpUrl);
    try {
      const channel = await model.createConfirmChannel();
      const { exchange, routingKey, content, options } = toCloudEventMessage(names.AMQP_EXCHANGE, ev.uploaded(videoId, 'user-traced'));
      channel.publish(exchange, routingKey, content, { ...options, headers: { 'cloudEvents:traceparent': traceparent } });
      await channel.waitForConfirms();
    } finally {
      await model.close();
    }
    const spans = await traceOf(traceId, writtenToPostgres);
    const bridge = one(spans, (span) => span.service === 'vidproc-bridge' && span.kind === SPAN_KIND.consumer, 'bridge');
    expect(bridge.parentSpanId).toBe(parentId);
  });

  it('starts a trace of its own for an event without one', async () => {
    const videoId = uniqueId('untraced');
    publisher.publish(ev.uploaded(videoId, 'user-traced'));
    await publisher.confirm();
    const deadline = Date.now() + 30_000;
    let bridge: ReceivedSpan | undefined;
    while (!bridge && Date.now() < deadline) {
      bridge = receiver.spans.find((span) => span.service === 'vidproc-bridge' && span.attributes['vidproc.video_id'] === videoId);
      if (!bridge) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(bridge?.parentSpanId).toBeUndefined();
    await traceOf(bridge!.traceId, writtenToPostgres);
  });

  it('traces an API request through its workflow query or database read, and its log line carries the trace', async () => {
    const videoId = uniqueId('traced');
    publisher.publish(ev.uploaded(videoId, 'user-traced'));
    await publisher.confirm();
    const token = await signDevToken(SECRET, 'operator-1', [OPERATOR_ROLE], '1h');
    const read = async (traceparent: string) =>
      fetch(`${apiUrl}/v1/videos/${videoId}`, { headers: { authorization: `Bearer ${token}`, traceparent } });
    // Until the video exists (the event is on its way).
    let attempt = newTraceparent();
    for (let tries = 0, res = await read(attempt.traceparent); res.status !== 200; tries++, res = await read(attempt.traceparent)) {
      if (tries > 100) throw new Error(`the video never became readable: ${res.status} ${await res.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      attempt = newTraceparent();
    }
    const { traceId, parentId } = attempt;
    const isRead = (span: ReceivedSpan) => span.name.startsWith('QueryWorkflow:') || isQuery(span);
    const spans = await traceOf(traceId, (found) => {
      const server = found.find((span) => span.kind === SPAN_KIND.server);
      return server !== undefined && found.some((span) => isRead(span) && span.parentSpanId === server.spanId);
    });
    const server = one(spans, (span) => span.kind === SPAN_KIND.server, 'server');
    expect(server).toMatchObject({ service: 'vidproc-api', name: 'GET /v1/videos/:videoId', parentSpanId: parentId });
    expect(server.attributes).toMatchObject({ 'http.route': '/v1/videos/:videoId', 'http.response.status_code': 200 });
    const requestLog = api
      .logLines()
      .filter((line) => line.msg === 'request')
      .find((line) => line.trace_id === traceId);
    expect(requestLog?.span_id).toBe(server.spanId);
  });
});

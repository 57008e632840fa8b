/**
 * The fault suite (issue 10, part 1): a real stack as separate processes (`vidproc api`, `worker`,
 * `bridge`) on a private Postgres, a private RabbitMQ and a Temporal dev server on a database file,
 * while videos' events flow at a steady rate (duplicated, reordered), faults one after another:
 * SIGKILL and restart of each process, restarts of RabbitMQ, Postgres and Temporal. Each fault's
 * recovery is timed from the restart until a probe video published then is completed end to end
 * (in the API and in Postgres). While Postgres is down, every video whose workflow is open is read
 * through the API and must answer. After the drain, every video is checked (final-checks.ts) and a
 * sample watched through the run must never have gone backwards (read-watch.ts).
 *
 * Used by `npm run test:faults` (test/faults/run.ts) and, shorter, by CI (test/integration/faults.test.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connect } from 'amqplib';
import pg from 'pg';
import { OPERATOR_ROLE, signDevToken } from '../../src/api/lib/auth.js';
import { topologyNames } from '../../src/amqp/topology.js';
import { loadConfig } from '../../src/config/env.js';
import { migrateDatabase } from '../../src/db/index.js';
import { connectClient } from '../../src/temporal/connection.js';
import { videoIdOf } from '../../src/workflows/definitions.js';
import { freePort } from '../../bench/stack.js';
import { finalVerdict, type FinalVerdict } from './final-checks.js';
import {
  prepareBase,
  startPrivatePostgres,
  startPrivateRabbitMQ,
  startPrivateTemporal,
  waitUntil,
  type PrivateService,
} from './private-services.js';
import { watchReads, type ReadWatchResult } from './read-watch.js';
import { createSteadyPublisher } from './steady-publisher.js';
import { superviseVidproc, type ExitOnItsOwn, type SupervisedProcess } from './supervised-process.js';
import { planProbe, planVideo, type VideoPlan } from './video-plans.js';

export const ALL_FAULTS = ['kill-api', 'kill-worker', 'kill-bridge', 'restart-rabbitmq', 'restart-postgres', 'restart-temporal'] as const;
export type FaultName = (typeof ALL_FAULTS)[number];

export function parseFaults(list: string | undefined): FaultName[] {
  if (!list || list.trim() === '' || list.trim() === 'all') return [...ALL_FAULTS];
  return list.split(',').map((f) => {
    const name = f.trim();
    if (!(ALL_FAULTS as readonly string[]).includes(name)) throw new Error(`unknown fault "${name}" (known: ${ALL_FAULTS.join(', ')})`);
    return name as FaultName;
  });
}

export interface FaultRunOptions {
  videos: number;
  faults: FaultName[];
  /** Videos whose events start per second (default: spread over the faults, about 20 s each). */
  videosPerSecond?: number;
  /** How long a dependency stays down (Postgres: at least as long as reading every open video takes). */
  outageMs?: number;
  /** Events flowing undisturbed before the first fault and between faults. */
  gapMs?: number;
  drainTimeoutMs?: number;
  /** A probe not completed this long after its restart: the fault is not recovered from. */
  recoveryTimeoutMs?: number;
  /** node's arguments that run `vidproc <command>`. */
  vidprocArgv: (command: string) => string[];
  /** A prebuilt workflow bundle for the worker (else one is built now). */
  workflowBundlePath?: string;
  /** Keep the temporary directory (data, logs) even when the run passed. */
  keepDir?: boolean;
  log?: (line: string) => void;
}

export interface FaultResult {
  fault: FaultName;
  /** From the fault (kill / stop) to the restart (process started again / service accepting clients). */
  downMs: number;
  /** From the restart until a probe video published then was completed in the API and in Postgres; null: never. */
  recoveryMs: number | null;
  probe: string;
  error?: string;
}

export interface PostgresDownReads {
  /** Videos whose workflow was open with its state loaded (its row written by that run) when Postgres went down. */
  openVideos: number;
  /** Times every one of them was read. */
  passes: number;
  reads: number;
  answered: number;
  /**
   * Reads answered 503 with Retry-After (more reads than the API's query slots, or a workflow slower
   * than the query timeout: one not cached since the worker was killed replays first), each tried
   * again after Retry-After as a client would, up to RETRIES_AFTER_503 times before the video counts
   * as not answered.
   */
  retried: number;
  /** Answers by X-Status-Source. */
  sources: Record<string, number>;
  /** Each video that did not answer (at least once), with its first failure. */
  failed: string[];
}

export interface FaultReport {
  date: string;
  videos: number;
  probes: number;
  messages: number;
  /** Messages the publisher sent again (the broker had not confirmed them). */
  resent: number;
  videosPerSecond: number;
  faults: FaultResult[];
  counts: { lost: number; eventsLost: number; appliedTwice: number; regressed: number; gaps: number; wrong: number; apiMismatches: number; deadLettered: number };
  verdict: FinalVerdict;
  reads: ReadWatchResult;
  postgresDown: PostgresDownReads | null;
  exitsOnTheirOwn: ExitOnItsOwn[];
  publishS: number;
  drainS: number;
  totalS: number;
  dir: string;
  failures: string[];
}

const pct = (n: number) => Math.round(n);

export async function runFaults(options: FaultRunOptions): Promise<FaultReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const outageMs = options.outageMs ?? 5_000;
  const gapMs = options.gapMs ?? 5_000;
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? 5 * 60_000;
  const videosPerSecond = options.videosPerSecond ?? Math.max(1, options.videos / (options.faults.length * 20 + gapMs / 1000));
  const began = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'vidproc-faults-'));
  await prepareBase(dir);
  const logDir = join(dir, 'logs');
  await mkdir(logDir);
  log(`faults: ${options.videos} videos at ${videosPerSecond.toFixed(1)}/s, faults ${options.faults.join(', ')}; data and logs in ${dir}`);

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch((err: unknown) => log(`faults: cleanup: ${(err as Error).message}`));
  };
  // Stopped by a signal (Ctrl-C, a CI timeout): the private services and processes go too.
  const onSignal = (signal: NodeJS.Signals) => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let passed = false;
  try {
    // --- the private dependencies -----------------------------------------------------------------
    // Each one started is stopped at the end, even when another could not start.
    const started = await Promise.allSettled([
      startPrivatePostgres(dir, 'vidproc_faults'),
      startPrivateRabbitMQ(dir),
      startPrivateTemporal(dir, process.env.TEMPORAL_CLI_PATH),
    ]);
    for (const s of started) if (s.status === 'fulfilled') cleanups.push(() => (s.value as PrivateService).destroy());
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw new Error(`could not start the private Postgres, RabbitMQ and Temporal: ${(failed.reason as Error).message}`);
    const [postgres, rabbitmq, temporal] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startPrivatePostgres>>,
      Awaited<ReturnType<typeof startPrivateRabbitMQ>>,
      Awaited<ReturnType<typeof startPrivateTemporal>>,
    ];
    await migrateDatabase(postgres.url);

    let bundlePath = options.workflowBundlePath;
    if (!bundlePath) {
      bundlePath = join(dir, 'workflow-bundle.js');
      const { code } = await bundleWorkflowCode({
        workflowsPath: new URL('../../src/workflows/index.ts', import.meta.url).pathname,
        logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
      });
      await writeFile(bundlePath, code);
    }

    const run = randomUUID().slice(0, 8);
    const apiPort = await freePort();
    const env: Record<string, string> = {
      DATABASE_URL: postgres.url,
      AMQP_URL: rabbitmq.url,
      AMQP_EXCHANGE: `faults.events.${run}`,
      AMQP_QUEUE: `faults.tracker.${run}`,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `faults-${run}`,
      AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
      WORKFLOW_BUNDLE_PATH: bundlePath,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
      // The suite reads many videos with one token; and three processes on one host need their own metrics ports.
      API_RATE_LIMIT: '0',
      METRICS_PORT: '0',
    };
    const config = loadConfig({ ...process.env, ...env });
    const names = topologyNames(config);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const token = await signDevToken(env.AUTH_JWT_SECRET!, 'faults-operator', [OPERATOR_ROLE]);

    // --- the processes ----------------------------------------------------------------------------
    let phase = 'start';
    const exits: ExitOnItsOwn[] = [];
    const context = { logDir, argv: options.vidprocArgv, env, phase: () => phase, exits };
    const procs: Record<'worker' | 'bridge' | 'api', SupervisedProcess> = {
      worker: superviseVidproc(context, 'worker', 'worker'),
      bridge: superviseVidproc(context, 'bridge', 'bridge'),
      api: superviseVidproc(context, 'api', 'api'),
    };
    for (const p of Object.values(procs)) p.start();
    cleanups.push(async () => {
      for (const p of Object.values(procs)) await p.stop();
    });

    const db = new pg.Pool({ connectionString: postgres.url, max: 4, connectionTimeoutMillis: 5_000 });
    db.on('error', () => undefined); // idle clients lose their server during the Postgres restart
    cleanups.push(() => db.end());
    const { connection, client } = await connectClient(config.temporal);
    cleanups.push(() => connection.close());
    const amqp = await connect(rabbitmq.url);
    // A probe of a queue the bridge has not declared yet closes its channel (404): the wait goes on.
    amqp.on('error', () => undefined);
    const queueStats = async () => {
      const channel = await amqp.createChannel();
      channel.on('error', () => undefined);
      try {
        return { events: await channel.checkQueue(names.queue), dead: await channel.checkQueue(names.deadLetterQueue) };
      } finally {
        await channel.close().catch(() => undefined);
      }
    };
    const publisher = createSteadyPublisher(rabbitmq.url, config);
    cleanups.push(() => publisher.close());

    await waitUntil('the API ready', async () => (await fetch(`${apiUrl}/readyz`)).ok, 120_000);
    await waitUntil('the bridge consuming', async () => (await queueStats()).events.consumerCount >= 1, 120_000);
    await waitUntil(
      'the worker polling',
      async () =>
        ((
          await connection.workflowService.describeTaskQueue({
            namespace: config.temporal.namespace,
            taskQueue: { name: config.temporal.taskQueue },
            taskQueueType: 1, // workflow tasks
          })
        ).pollers?.length ?? 0) >= 1,
      120_000,
    );
    await amqp.close();

    // --- events flow ------------------------------------------------------------------------------
    const prefix = `flt-${run}`;
    const plans: VideoPlan[] = Array.from({ length: options.videos }, (_, i) => planVideo(prefix, i));
    const probes: VideoPlan[] = [];
    const published = new Set<string>();
    let messages = 0;
    const send = async (plan: VideoPlan, part: VideoPlan['messages']) => {
      for (const m of part) {
        await publisher.publish(m);
        messages++;
      }
      published.add(plan.videoId);
    };
    const lag = Math.max(1, Math.ceil(videosPerSecond * 3));
    const flowStarted = Date.now();
    let publishS = 0;
    const flow = (async () => {
      for (let slot = 0; slot < plans.length + lag; slot++) {
        const due = flowStarted + (slot / videosPerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        const first = plans[slot];
        if (first) await send(first, first.messages.slice(0, first.firstPart));
        const second = plans[slot - lag];
        if (second) await send(second, second.messages.slice(second.firstPart));
      }
      publishS = (Date.now() - flowStarted) / 1000;
    })();

    const sampleSize = Math.min(60, plans.length);
    const sample = Array.from({ length: sampleSize }, (_, k) => plans[Math.floor((k * plans.length) / sampleSize)]!.videoId);
    const watch = watchReads(apiUrl, token, sample, (id) => published.has(id), () => phase);

    /** Completed in the API and in Postgres. */
    const completedEndToEnd = async (videoId: string) => {
      const res = await fetch(`${apiUrl}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) {
        await res.body?.cancel();
        return false;
      }
      if (((await res.json()) as { status: string }).status !== 'completed') return false;
      const { rows } = await db.query<{ status: string }>('select status from videos where video_id = $1', [videoId]);
      return rows[0]?.status === 'completed';
    };
    /** From `restartedAt`, until a probe published now is completed end to end. */
    const recovery = async (fault: FaultName, restartedAt: number): Promise<{ ms: number; probe: string }> => {
      const probe = planProbe(`${prefix}-probe-${fault}`);
      probes.push(probe);
      await send(probe, probe.messages);
      await waitUntil(`${fault}: probe ${probe.videoId} completed end to end`, () => completedEndToEnd(probe.videoId), recoveryTimeoutMs, 100);
      return { ms: Date.now() - restartedAt, probe: probe.videoId };
    };

    let postgresDown: PostgresDownReads | null = null;
    /**
     * The videos the Postgres-down guarantee covers, listed just before Postgres stops: this run's
     * videos whose workflow is open and has loaded its state, as its row says (the run that loaded
     * it wrote it last: `run_id`). A run that starts while Postgres is down (a video's first, or one
     * reopened by a late event) cannot know the video's past, and says so with a 503; so does a run
     * continued as new (its writes name no run), which this leaves out.
     */
    const listOpenVideos = async (): Promise<string[]> => {
      const open = new Map<string, string>();
      await waitUntil(
        'the list of open workflows',
        async () => {
          open.clear();
          for await (const wf of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
            const videoId = videoIdOf(wf.workflowId);
            if (videoId?.startsWith(prefix)) open.set(videoId, wf.runId);
          }
          return true;
        },
        60_000,
      );
      const { rows } = await db.query<{ video_id: string; run_id: string | null }>('select video_id, run_id from videos where video_id = any($1)', [[...open.keys()]]);
      return rows.filter((r) => r.run_id !== null && r.run_id === open.get(r.video_id)).map((r) => r.video_id);
    };
    /**
     * While Postgres is down (until `until`, and at least one full pass): reads every one of `open`
     * through the API, again and again; each must answer every time.
     */
    /** Times a read of an open video answered 503 is tried again (after the Retry-After it was given) while Postgres is down. */
    const RETRIES_AFTER_503 = 3;
    const readOpenVideos = async (open: string[], until: number): Promise<PostgresDownReads> => {
      const result: PostgresDownReads = { openVideos: open.length, passes: 0, reads: 0, answered: 0, retried: 0, sources: {}, failed: [] };
      const failedVideos = new Set<string>();
      const read = async (videoId: string) => {
        result.reads++;
        try {
          const started = Date.now();
          let res: Response;
          let body: string;
          for (let retries = 0; ; retries++) {
            res = await fetch(`${apiUrl}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
            body = await res.text();
            const retryAfter = res.status === 503 ? Number(res.headers.get('retry-after')) : NaN;
            if (!(retryAfter > 0) || retries === RETRIES_AFTER_503) break;
            result.retried++;
            await sleep(retryAfter * 1_000);
          }
          if (res.status !== 200) {
            if (!failedVideos.has(videoId)) result.failed.push(`${videoId}: ${res.status} after ${Date.now() - started} ms: ${body.slice(0, 160)}`);
            failedVideos.add(videoId);
            return;
          }
          result.answered++;
          const source = res.headers.get('x-status-source') ?? 'none';
          result.sources[source] = (result.sources[source] ?? 0) + 1;
        } catch (err) {
          if (!failedVideos.has(videoId)) result.failed.push(`${videoId}: ${(err as Error).message}`);
          failedVideos.add(videoId);
        }
      };
      do {
        for (let k = 0; k < open.length; k += 16) await Promise.all(open.slice(k, k + 16).map(read));
        result.passes++;
      } while (Date.now() < until);
      return result;
    };

    // --- the faults, one after another -------------------------------------------------------------
    const results: FaultResult[] = [];
    phase = 'flow';
    await sleep(gapMs);
    for (const fault of options.faults) {
      phase = fault;
      const downAt = Date.now();
      let restartedAt = downAt;
      const result: FaultResult = { fault, downMs: 0, recoveryMs: null, probe: '' };
      try {
        if (fault.startsWith('kill-')) {
          const proc = procs[fault.slice('kill-'.length) as keyof typeof procs];
          await proc.kill();
          restartedAt = Date.now();
          proc.start();
        } else {
          const service = { 'restart-rabbitmq': rabbitmq, 'restart-postgres': postgres, 'restart-temporal': temporal }[fault as Exclude<FaultName, `kill-${string}`>];
          const open = fault === 'restart-postgres' ? await listOpenVideos() : [];
          await service.stop();
          if (fault === 'restart-postgres') postgresDown = await readOpenVideos(open, downAt + outageMs);
          const left = outageMs - (Date.now() - downAt);
          if (left > 0) await sleep(left);
          await service.start();
          restartedAt = Date.now();
        }
        result.downMs = restartedAt - downAt;
        const { ms, probe } = await recovery(fault, restartedAt);
        result.recoveryMs = ms;
        result.probe = probe;
      } catch (err) {
        result.error = (err as Error).message;
      }
      results.push(result);
      log(`faults: ${fault}: down ${result.downMs} ms, recovered in ${result.recoveryMs ?? '—'} ms${result.error ? ` (${result.error})` : ''}`);
      phase = 'flow';
      await sleep(gapMs);
    }

    // --- the drain --------------------------------------------------------------------------------
    phase = 'drain';
    await flow;
    log(`faults: all ${messages} messages published in ${publishS.toFixed(0)} s; waiting for the drain`);
    const drainStarted = Date.now();
    const everything = [...plans, ...probes];
    const like = `${prefix}-%`;
    const admin = await connect(rabbitmq.url);
    cleanups.push(() => admin.close().catch(() => undefined));
    let lastLines = -1;
    let drainState = 'not checked yet';
    let lastDrainLog = Date.now();
    const settled = async () => {
      const { rows } = await db.query<{ video_id: string; status: string; version: number; lines: string }>(
        `select v.video_id, v.status, v.version, (select count(*) from video_events h where h.video_id = v.video_id) as lines from videos v where v.video_id like $1`,
        [like],
      );
      const stored = new Map(rows.map((r) => [r.video_id, r]));
      const waiting = everything.filter((p) => {
        const r = stored.get(p.videoId);
        return !(r && (r.status === 'completed' || r.status === 'failed') && Number(r.lines) >= new Set(p.messages.map((m) => m.id)).size && r.version === Number(r.lines));
      });
      const done = waiting.length === 0;
      const channel = await admin.createChannel();
      const { messageCount } = await channel.checkQueue(names.queue);
      await channel.close();
      const lines = rows.reduce((n, r) => n + Number(r.lines), 0);
      const quiet = lines === lastLines;
      lastLines = lines;
      drainState = `${waiting.length} videos not finished in Postgres (${waiting.slice(0, 5).map((p) => { const r = stored.get(p.videoId); return r ? `${p.videoId} ${r.status}/v${r.version}, ${r.lines} lines` : `${p.videoId} no row`; }).join('; ')}), ${messageCount} messages queued`;
      if (Date.now() - lastDrainLog > 30_000) {
        lastDrainLog = Date.now();
        log(`faults: draining: ${drainState}`);
      }
      return done && messageCount === 0 && quiet;
    };
    let drained = true;
    await waitUntil('the drain', settled, options.drainTimeoutMs ?? 10 * 60_000, 1_000).catch(() => (drained = false));
    const drainS = (Date.now() - drainStarted) / 1000;
    const reads = await watch.stop();

    // --- the verdict ------------------------------------------------------------------------------
    const verdict = await finalVerdict(db, everything, like, { url: apiUrl, token });
    const channel = await admin.createChannel();
    const deadLettered = (await channel.checkQueue(names.deadLetterQueue)).messageCount;
    await channel.close();
    const counts = {
      lost: verdict.lost.length,
      eventsLost: verdict.eventsLost.length,
      appliedTwice: verdict.appliedTwice.length,
      regressed: reads.regressed.length,
      gaps: verdict.gaps.length,
      wrong: verdict.wrong.length,
      apiMismatches: verdict.apiMismatches.length,
      deadLettered,
    };
    const failures: string[] = [];
    if (!drained) failures.push(`not drained within ${options.drainTimeoutMs ?? 600_000} ms: ${drainState}`);
    for (const [what, n] of Object.entries(counts)) if (n > 0) failures.push(`${what}: ${n}`);
    for (const r of results) if (r.recoveryMs === null) failures.push(`${r.fault}: not recovered (${r.error ?? 'no probe'})`);
    if (options.faults.includes('restart-postgres')) {
      if (!postgresDown) failures.push('restart-postgres: the open videos were not read while Postgres was down');
      else if (postgresDown.failed.length > 0) failures.push(`while Postgres was down, ${postgresDown.failed.length} of ${postgresDown.openVideos} videos with an open workflow did not answer (at least once)`);
      else if (postgresDown.openVideos === 0) failures.push('while Postgres was down, no video had an open workflow (nothing was proven)');
    }
    if (reads.observations === 0) failures.push('no video was observed through the API');

    const report: FaultReport = {
      date: new Date().toISOString(),
      videos: options.videos,
      probes: probes.length,
      messages,
      resent: publisher.resent(),
      videosPerSecond,
      faults: results,
      counts,
      verdict,
      reads,
      postgresDown,
      exitsOnTheirOwn: exits,
      publishS,
      drainS,
      totalS: (Date.now() - began) / 1000,
      dir,
      failures,
    };
    passed = failures.length === 0;
    return report;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
    if (passed && !options.keepDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The report as text: the counts, each fault's recovery, what failed. */
export function formatReport(r: FaultReport): string {
  const lines = [
    `vidproc fault suite: ${r.videos} videos (+${r.probes} probes), ${r.messages} messages (${r.resent} sent again), ${r.videosPerSecond.toFixed(1)} videos/s, ${r.totalS.toFixed(0)} s`,
    '',
    '| fault | down (ms) | recovery (ms) |',
    '| ----- | --------- | ------------- |',
    ...r.faults.map((f) => `| ${f.fault} | ${f.downMs} | ${f.recoveryMs ?? `not recovered: ${f.error ?? ''}`} |`),
    '',
    `lost = ${r.counts.lost}, events lost = ${r.counts.eventsLost}, applied twice = ${r.counts.appliedTwice}, regressed = ${r.counts.regressed}, ` +
      `history gaps = ${r.counts.gaps}, wrong end = ${r.counts.wrong}, API ≠ Postgres = ${r.counts.apiMismatches}, dead-lettered = ${r.counts.deadLettered}`,
    `watched ${r.reads.videos} videos through the API: ${r.reads.observations} answers; not answered: ${JSON.stringify(r.reads.unavailable)}; older but marked as fallbacks: ${JSON.stringify(r.reads.olderMarked)}`,
    r.postgresDown
      ? `Postgres down: ${r.postgresDown.openVideos} videos with an open workflow, read ${r.postgresDown.passes}× each: ${r.postgresDown.answered} of ${r.postgresDown.reads} reads answered (${r.postgresDown.retried} answered 503 and tried again after Retry-After; ${JSON.stringify(r.postgresDown.sources)}), ${r.postgresDown.failed.length} videos did not answer at least once`
      : 'Postgres down: not run',
    `published in ${pct(r.publishS)} s, drained ${pct(r.drainS)} s later`,
    r.exitsOnTheirOwn.length
      ? `processes that exited on their own (started again): ${r.exitsOnTheirOwn.map((e) => `${e.name} (${e.code ?? e.signal}) during ${e.during}`).join('; ')}`
      : 'no process exited on its own',
    r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'PASSED',
  ];
  const detail = (name: string, list: string[]) => (list.length ? [`${name} (first 10):`, ...list.slice(0, 10).map((x) => `  ${x}`)] : []);
  return [
    ...lines,
    ...detail('lost', r.verdict.lost),
    ...detail('events lost', r.verdict.eventsLost),
    ...detail('applied twice', r.verdict.appliedTwice),
    ...detail('regressed', r.reads.regressed),
    ...detail('gaps', r.verdict.gaps),
    ...detail('wrong', r.verdict.wrong),
    ...detail('API ≠ Postgres', r.verdict.apiMismatches),
    ...detail('not answered while Postgres was down', r.postgresDown?.failed ?? []),
  ].join('\n');
}

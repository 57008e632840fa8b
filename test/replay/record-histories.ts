/**
 * Records the histories of real video workflow runs into test/replay/histories/, for the replay
 * test (replay.test.ts) to check that today's workflow code still replays them. Run it when a
 * change to the workflow adds behaviour worth guarding (after putting the change behind
 * patched()): `npm run histories:record`. Keep the old files: they are the runs in flight.
 *
 * It starts what the integration tests start (a Temporal dev server, a fresh database, the
 * workflow bundle), a real worker, and drives each scenario through the gateway.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { Client } from '@temporalio/client';
import { findEndpoint, insertEndpoint, listDeliveries } from '../../src/db/webhook-store.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { createWebhookGateway } from '../../src/temporal/webhook-gateway.js';
import type { HandedAlert } from '../../src/domain/alert-digest.js';
import { ALERT_DIGEST_WORKFLOW_TYPE, alertDigestWorkflowIdFor, alertSignal, deliveryWorkflowIdFor, getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { setupServices, teardownServices } from '../support/setup-services.js';
import { ev } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startSignedWebhookReceiver } from '../support/webhook-receiver.js';

// HISTORIES_OUT: somewhere else, to look at a run's history without adding it to the replay set.
const outDir = process.env.HISTORIES_OUT ? `${process.env.HISTORIES_OUT.replace(/\/$/, '')}/` : fileURLToPath(new URL('./histories/', import.meta.url));
const stamp = new Date().toISOString().slice(0, 10);

/** The runs to record: the video's workflow's (run ids), or another workflow's. */
type Recorded = string[] | { workflowId: string; runs: string[] };
type Scenario = (videos: VideoGateway, client: Client, videoId: string, h: TemporalHarness) => Promise<Recorded>;

/** Waits for the workflow to close and returns the run ids of its chain (oldest first). */
async function closedRunsOf(client: Client, workflowId: string): Promise<string[]> {
  await client.workflow.getHandle(workflowId).result();
  const runs: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(execution.runId);
  return runs.reverse();
}
const closedRuns = (client: Client, videoId: string) => closedRunsOf(client, workflowIdFor(videoId));

const scenarios: Record<string, { stuck?: boolean; defaults?: { lingerMs?: number; continueAsNewAfterEvents?: number }; run: Scenario }> = {
  'happy-path': {
    run: async (videos, client, id) => {
      await videos.register(id, 'alice', 'cat.mp4');
      await videos.sendEvent(ev.uploaded(id, 'alice', 'cat.mp4'));
      await videos.sendEvent(ev.started(id));
      await videos.sendEvent(ev.progress(id, 40));
      await videos.sendEvent(ev.progress(id, 80));
      await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/cat.zip', 240));
      return closedRuns(client, id);
    },
  },
  'patches-at-start': {
    // A run from after PATCHES_AT_START (its patches met in its first task), read while it starts
    // as clients poll a video they just uploaded (queries in its first tasks).
    run: async (videos, client, id) => {
      const handle = client.workflow.getHandle(workflowIdFor(id));
      let polling = true;
      const reader = (async () => {
        while (polling) await handle.query(getStatusQuery).catch(() => undefined);
      })();
      await videos.sendEvents([ev.uploaded(id, 'ines', 'poll.mp4'), ev.started(id)]);
      await videos.sendEvent(ev.progress(id, 60));
      await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/poll.zip', 90));
      polling = false;
      await reader;
      return closedRuns(client, id);
    },
  },
  'local-activities-in-turn': {
    // A write and a dispatch wanted in one task (a started and a progress in one signal), then
    // the progress notice's dispatch: since LOCAL_ACTIVITIES_IN_TURN, one after the other.
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.uploaded(id, 'jo', 'turns.mp4'));
      await videos.sendEvents([ev.started(id), ev.progress(id, 40)]);
      await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/turns.zip', 60));
      return closedRuns(client, id);
    },
  },
  'load-as-activity': {
    // A run from LOAD_AS_ACTIVITY on: its load is a regular activity; its next events come while it loads.
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.progress(id, 10));
      await videos.sendEvents([ev.uploaded(id, 'kim', 'load.mp4'), ev.started(id)]);
      await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/load.zip', 30));
      return closedRuns(client, id);
    },
  },
  'events-batch': {
    // What the bridge sends in a burst: a video's queued events in one signal.
    run: async (videos, client, id) => {
      await videos.sendEvents([ev.uploaded(id, 'hana', 'burst.mp4'), ev.started(id), ev.progress(id, 50), ev.completed(id, 'https://cdn.example.com/burst.zip', 120)]);
      return closedRuns(client, id);
    },
  },
  'duplicates-out-of-order': {
    run: async (videos, client, id) => {
      const started = ev.started(id);
      await videos.sendEvent(ev.progress(id, 30)); // before started
      await videos.sendEvent(started);
      await videos.sendEvent(ev.progress(id, 20)); // backwards
      await videos.sendEvent(started); // duplicate id
      await videos.sendEvent(ev.uploaded(id, 'bob')); // late owner
      await videos.sendEvent(ev.failed(id, 'E_DECODE', 'corrupt stream'));
      await videos.sendEvent(ev.completed(id)); // after terminal
      return closedRuns(client, id);
    },
  },
  'stalled-reprocess-timed-out': {
    stuck: true,
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.uploaded(id, 'carol'));
      await videos.sendEvent(ev.started(id));
      return closedRuns(client, id);
    },
  },
  'stalled-recovered': {
    stuck: true,
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.uploaded(id, 'dave'));
      await eventually(async () => ((await videos.liveStatus(id, 2_000)).kind === 'live' && (await live(videos, id)).stalled ? true : undefined));
      await videos.sendEvent(ev.started(id));
      await videos.sendEvent(ev.completed(id));
      return closedRuns(client, id);
    },
  },
  'projection-write-retried': {
    // Postgres refuses the video's writes (a transient error) for longer than the local retry
    // threshold, then takes them: the write's retries, local or on a workflow timer, are in history.
    run: async (videos, client, id, h) => {
      const sql = h.orm.em.getConnection();
      await videos.sendEvents([ev.uploaded(id, 'ivan', 'retry.mp4'), ev.started(id)]);
      await eventually(async () => ((await sql.execute(`select 1 from videos where video_id = ? and status = 'processing'`, [id])).length ? true : undefined));
      await sql.execute(
        `create function refuse_replay_write() returns trigger language plpgsql as $$ begin raise exception 'refused for the recording' using errcode = '55P03'; end $$`,
      );
      await sql.execute(`create trigger refuse_replay_write before update on videos for each row when (new.video_id = '${id}') execute function refuse_replay_write()`);
      try {
        await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/retry.zip', 60));
        await new Promise((r) => setTimeout(r, 5_000));
      } finally {
        await sql.execute('drop trigger refuse_replay_write on videos');
        await sql.execute('drop function refuse_replay_write');
      }
      return closedRuns(client, id);
    },
  },
  'stalled-paced-commands': {
    // Since PACED_COMMANDS: alerts and commands in two lanes, commands on the command task queue.
    stuck: true,
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.uploaded(id, 'carol'));
      await videos.sendEvent(ev.started(id));
      return closedRuns(client, id);
    },
  },
  'alert-digest': {
    // A storm of one kind: 3 alerts alone, the rest grouped (window 2s), a retried hand-over
    // dropped, a continue-as-new, then closed once quiet.
    stuck: true,
    run: async (videos, client, id, h) => {
      const workflowId = `${alertDigestWorkflowIdFor(h.config.TEMPORAL_TASK_QUEUE, 'video.stalled')}-replay`;
      const handOver = (n: number, key = `${id}/${n}`) => {
        const videoId = `${id}-${n}`;
        const handed: HandedAlert = {
          key,
          alert: { kind: 'video.stalled', videoId, userId: 'kim', status: 'processing', stalledSince: new Date().toISOString(), deadline: null, text: `Video ${videoId} is stalled.` },
        };
        return client.workflow.signalWithStart(ALERT_DIGEST_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: h.config.TEMPORAL_TASK_QUEUE,
          args: [{ kind: 'video.stalled', continueAsNewAfterEvents: 60 }],
          signal: alertSignal,
          signalArgs: [handed],
        });
      };
      for (let n = 1; n <= 8; n++) await handOver(n);
      await handOver(1, `${id}/8`); // the same hand-over again (a retried activity)
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // the batch goes out
      for (let n = 9; n <= 30; n++) {
        await handOver(n);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { workflowId, runs: await closedRunsOf(client, workflowId) };
    },
  },
  'operator-retry-extend-fail': {
    stuck: true,
    run: async (videos, client, id) => {
      await videos.register(id, 'erin', 'dog.mp4');
      await videos.sendEvent(ev.started(id));
      await videos.operate(id, { type: 'retry', by: 'ops-1' });
      await videos.operate(id, { type: 'extend', by: 'ops-1', duration: '30m' });
      await videos.operate(id, { type: 'fail', by: 'ops-2', reason: 'bad source file' });
      await videos.operate(id, { type: 'retry', by: 'ops-2' }).catch(() => undefined); // refused: already failed
      return closedRuns(client, id);
    },
  },
  'progress-batching': {
    run: async (videos, client, id) => {
      await videos.register(id, 'grace', 'progress.mp4');
      await videos.sendEvent(ev.started(id));
      for (let p = 5; p <= 95; p += 5) {
        await videos.sendEvent(ev.progress(id, p));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await videos.sendEvent(ev.completed(id));
      return closedRuns(client, id);
    },
  },
  'user-webhooks': {
    run: async (videos, client, id) => {
      await videos.register(id, 'hana', 'hooks.mp4');
      await videos.sendEvent(ev.started(id));
      // Progress for longer than the sampling interval (5 s): sampled notices and their timers.
      for (let p = 10; p <= 90; p += 10) {
        await videos.sendEvent(ev.progress(id, p));
        await new Promise((resolve) => setTimeout(resolve, 800));
      }
      await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/hooks.zip', 90));
      return closedRuns(client, id);
    },
  },
  'user-webhooks-stalled': {
    stuck: true,
    run: async (videos, client, id) => {
      await videos.sendEvent(ev.uploaded(id, 'ivan'));
      await eventually(async () => ((await videos.liveStatus(id, 2_000)).kind === 'live' && (await live(videos, id)).stalled ? true : undefined));
      await videos.sendEvent(ev.started(id));
      await videos.sendEvent(ev.failed(id, 'E_CODEC', 'unsupported codec'));
      return closedRuns(client, id);
    },
  },
  'webhook-delivery': {
    // A delivery retried while its receiver fails, delivered, then redelivered (a second run).
    run: async (videos, client, id, h) => {
      const receiver = await startSignedWebhookReceiver();
      try {
        const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
        receiver.secrets.push(secret);
        receiver.failWith(503);
        const em = h.orm.em.fork();
        const endpointId = '00000000-0000-4000-8000-00000000beef';
        if (!(await findEndpoint(em, 'jana', endpointId))) {
          await insertEndpoint(em, {
            id: endpointId, userId: 'jana', url: receiver.url, events: ['video.completed'], secret,
            previousSecret: null, previousSecretExpiresAt: null, createdAt: new Date().toISOString(),
            disabled: false, disabledReason: null, disabledAt: null, lastSuccessAt: null, failingSince: null,
          });
        }
        await videos.sendEvent(ev.uploaded(id, 'jana'));
        await videos.sendEvent(ev.completed(id));
        const retried = await eventually(async () => (await listDeliveries(h.orm.em.fork(), endpointId, 10)).find((d) => d.videoId === id && d.attempts >= 2));
        receiver.failWith(null);
        const workflowId = deliveryWorkflowIdFor(retried.id);
        await client.workflow.getHandle(workflowId).result();
        await createWebhookGateway(client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE }).redeliver(retried.id);
        await eventually(() => (receiver.received.length === 2 ? true : undefined));
        await closedRuns(client, id);
        return { workflowId, runs: await closedRunsOf(client, workflowId) };
      } finally {
        await receiver.close();
      }
    },
  },
  'continue-as-new': {
    defaults: { lingerMs: 1_000, continueAsNewAfterEvents: 40 },
    run: async (videos, client, id) => {
      const started = ev.started(id);
      await videos.sendEvent(ev.uploaded(id, 'frank'));
      await videos.sendEvent(started);
      for (let p = 1; p <= 30; p++) await videos.sendEvent(ev.progress(id, p));
      await videos.sendEvent(started); // a duplicate from before the continue-as-new
      await videos.sendEvent(ev.completed(id));
      return closedRuns(client, id);
    },
  },
};

async function live(videos: VideoGateway, id: string) {
  const status = await videos.liveStatus(id, 2_000);
  if (status.kind !== 'live') throw new Error(`video ${id} is not live`);
  return status.view;
}

await setupServices();
// Webhooks to a local receiver, retried quickly (only the webhook-delivery scenario has an endpoint).
const plain = await startHarness(
  testConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_INITIAL: '300ms', WEBHOOK_RETRY_MAX_INTERVAL: '1s' }),
);
const stuck = await startHarness(
  testConfig({ STUCK_UPLOADED_AFTER: '1s', STUCK_PROCESSING_AFTER: '2s', ALERT_REPEAT_AFTER: '1s', MAX_REPROCESS: '2', ALERT_GROUP_WINDOW: '2s' }),
);
try {
  await mkdir(outDir, { recursive: true });
  const only = process.argv.slice(2);
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const h = scenario.stuck ? stuck : plain;
    const videos = createVideoGateway(h.client, {
      taskQueue: h.config.TEMPORAL_TASK_QUEUE,
      workflowDefaults: scenario.defaults ?? { lingerMs: 1_000 },
    });
    const id = `replay-${name}`;
    const recorded = await scenario.run(videos, h.client, id, h);
    const { workflowId, runs } = Array.isArray(recorded) ? { workflowId: workflowIdFor(id), runs: recorded } : recorded;
    for (const [i, runId] of runs.entries()) {
      const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const file = `${outDir}${stamp}.${name}${runs.length > 1 ? `.run${i + 1}` : ''}.json`;
      // Never over a recorded history: it stands for workflows that ran on older code.
      await writeFile(file, `${historyToJSON(history)}\n`, { flag: 'wx' });
      process.stdout.write(`recorded ${file} (${history.events?.length ?? 0} events)\n`);
    }
  }
} finally {
  await stuck.stop();
  await plain.stop();
  await teardownServices();
}

/** The operator actions over HTTP, on the real workflow: who did it in the history, refusals as 409. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import { findHistory } from '../../src/db/video-store.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { eventually, startHarness, type TemporalHarness } from '../support/env.js';
import { ev, uniqueId } from '../support/events.js';

let h: TemporalHarness;
let app: Api;
let videos: VideoGateway;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  videos = createVideoGateway(h.client, { taskQueue: h.config.temporal.taskQueue, workflowDefaults: { lingerMs: 60_000 } });
  ({ app } = startTestApi(h, { videos }));
  tokens.alice = await signDevToken(h.config.AUTH_JWT_SECRET!, 'alice');
  tokens.ops = await signDevToken(h.config.AUTH_JWT_SECRET!, 'ops-ann', ['operator']);
});
afterAll(async () => {
  await closeTestApis();
  await h?.stop();
});

const act = (videoId: string, action: string, body: unknown, as = 'ops', contentType = 'application/json') =>
  app.request(`/v1/videos/${videoId}/${action}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokens[as]}`, 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const problem = async (res: Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { detail: string };
};

describe('POST /v1/videos/{id}/retry|fail|extend', () => {
  it('retry, extend and fail as an operator, each in the history with who did it; refusals are 409 with the reason', async () => {
    const id = uniqueId('ops');
    await videos.register(id, 'alice');
    await videos.sendEvent(ev.started(id));
    await eventually(async () => ((await videos.liveStatus(id, 2_000)).kind === 'live' ? true : undefined));

    const retried = await act(id, 'retry', {});
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ videoId: id, status: 'processing', imagesUrlExpiresAt: null });
    expect((await act(id, 'extend', { duration: '1h' })).status).toBe(200);
    expect((await problem(await act(id, 'fail', { reason: '   ' }), 409)).detail).toMatch(/reason is required/);
    const failed = await act(id, 'fail', { reason: 'source file is corrupt' });
    expect(await failed.json()).toMatchObject({ status: 'failed', error: { code: 'FAILED_BY_OPERATOR', message: 'source file is corrupt' } });
    expect((await problem(await act(id, 'retry', {}), 409)).detail).toMatch(/already failed/);

    const history = await eventually(async () => {
      const rows = (await findHistory(h.orm.em.fork(), id)).filter((r) => r.type.startsWith('vidproc.operator.'));
      return rows.length === 3 ? rows : undefined;
    });
    expect(history.map((r) => [r.type, r.source])).toEqual([
      ['vidproc.operator.retry', 'operator:ops-ann'],
      ['vidproc.operator.extend', 'operator:ops-ann'],
      ['vidproc.operator.fail', 'operator:ops-ann'],
    ]);
  });

  it('refuses bad input with 400, a non-JSON body with 415, a non-operator with 403, an unknown video with 404', async () => {
    const id = uniqueId('ops');
    await videos.register(id, 'alice');
    expect((await problem(await act(id, 'extend', { duration: 'soon' }), 400)).detail).toMatch(/duration/);
    await problem(await act(id, 'extend', { duration: '1h', extra: true }), 400);
    await problem(await act(id, 'retry', 'retry please', 'ops', 'text/plain'), 415);
    await problem(await act(id, 'retry', {}, 'alice'), 403);
    await problem(await act(uniqueId('none'), 'retry', {}), 404);
  });

  it('refuses an extension past 365 days (409), and the video goes on answering and taking actions', async () => {
    const id = uniqueId('ops');
    await videos.register(id, 'alice');
    // 9,582,373,878 hours is past the largest date: it once failed the workflow task, leaving the video stuck.
    for (const duration of ['366d', '9582373878.795 h']) {
      expect((await problem(await act(id, 'extend', { duration }), 409)).detail).toMatch(/at most 365d/);
    }
    expect((await act(id, 'extend', { duration: '365d' })).status).toBe(200);
    expect((await act(id, 'retry', {})).status).toBe(200);
  });
});

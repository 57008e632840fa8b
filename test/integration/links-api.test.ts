/**
 * The API's links that open, on the real services: Temporal (dev server and a worker), Postgres,
 * and an S3-compatible server (moto). A completed video's `s3://` link comes back presigned and
 * downloads; `POST /v1/videos` hands out an upload URL that takes the file; and `vidproc api`
 * itself, as a process, presigns with the credentials of its environment (the SDK's default chain).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import { loadConfig } from '../../src/config/env.js';
import { saveVideo } from '../../src/db/video-store.js';
import { newVideo } from '../../src/domain/video.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { uploadKey } from '../../src/storage/upload-link.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { ev, uniqueId } from '../support/events.js';
import { startHarness, testLogger, type TemporalHarness } from '../support/env.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { READY, startVidproc } from '../support/vidproc-process.js';

let h: TemporalHarness;
let s3: S3Server;
let bucket: string;
let storage: Storage;
let videos: VideoGateway;
let app: Api;
let secret: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  [h, s3] = await Promise.all([startHarness(), startS3Server()]);
  bucket = await s3.createBucket();
  secret = h.config.AUTH_JWT_SECRET!;
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  storage = openStorage(loadConfig({ ...s3.env, UPLOAD_BUCKET: bucket }).storage, testLogger, { credentials: s3.credentials });
  app = apiWith(storage);
  tokens.alice = await signDevToken(secret, 'alice');
  tokens.bob = await signDevToken(secret, 'bob');
});
afterAll(async () => {
  await closeTestApis();
  storage?.close();
  await s3?.stop();
  await h?.stop();
});

function apiWith({ openLink, uploadLink }: Pick<Storage, 'openLink' | 'uploadLink'>): Api {
  return startTestApi(h, { videos, openLink, uploadLink }).app;
}

const get = (api: Api, path: string, as: string) => api.request(path, { headers: { Authorization: `Bearer ${tokens[as]}` } });
const register = (api: Api, as: string, body: unknown) =>
  api.request('/v1/videos', {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokens[as]}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A completed video of alice's in Postgres whose images are `s3://<bucket>/images/<id>.zip`, with those bytes in the bucket. */
async function completedVideo(): Promise<{ videoId: string; bytes: Buffer }> {
  const videoId = uniqueId();
  const bytes = Buffer.from(`images of ${videoId}`);
  await s3.putObject(bucket, `images/${videoId}.zip`, bytes);
  const now = new Date().toISOString();
  await saveVideo(
    h.orm.em.fork(),
    { ...newVideo(videoId, now), userId: 'alice', status: 'completed', progress: 100, imagesUrl: `s3://${bucket}/images/${videoId}.zip`, completedAt: now, version: 3 },
    [],
  );
  return { videoId, bytes };
}

interface Body {
  status: string;
  imagesUrl: string | null;
  imagesUrlExpiresAt: string | null;
  uploadUrl?: string;
  uploadUrlExpiresAt?: string;
}

describe('GET /v1/videos/{videoId}: the images link opens', () => {
  it('answers a completed video with a presigned URL that downloads the images, and its expiry', async () => {
    const { videoId, bytes } = await completedVideo();
    const res = await get(app, `/v1/videos/${videoId}`, 'alice');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.status).toBe('completed');
    expect(body.imagesUrl!.startsWith(`${s3.endpoint}/${bucket}/images/${videoId}.zip?X-Amz-`)).toBe(true);
    expect(Date.parse(body.imagesUrlExpiresAt!)).toBeGreaterThan(Date.now() + 0.75 * 15 * 60_000 - 5_000);

    const download = await fetch(body.imagesUrl!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
  });

  it('gives the same body to reads in the same window (ETags and caches can match)', async () => {
    const { videoId } = await completedVideo();
    const first = await (await get(app, `/v1/videos/${videoId}`, 'alice')).text();
    const second = await (await get(app, `/v1/videos/${videoId}`, 'alice')).text();
    // Both reads fall in one 225 s window unless they straddle its edge: then a third read does not.
    const third = first === second ? second : await (await get(app, `/v1/videos/${videoId}`, 'alice')).text();
    expect(third).toBe(second);
  });

  it("still answers 404 for another user's video (no link is signed for it)", async () => {
    const { videoId } = await completedVideo();
    expect((await get(app, `/v1/videos/${videoId}`, 'bob')).status).toBe(404);
  });
});

describe('POST /v1/videos: direct upload', () => {
  it('answers a new video with an upload URL that takes the file into UPLOAD_BUCKET', async () => {
    const videoId = uniqueId();
    const res = await register(app, 'alice', { videoId, fileName: 'holiday.mp4' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Body;
    expect(body.status).toBe('uploaded');
    expect(body.uploadUrl!.startsWith(`${s3.endpoint}/${bucket}/${uploadKey(videoId)}?X-Amz-`)).toBe(true);
    expect(Date.parse(body.uploadUrlExpiresAt!)).toBeGreaterThan(Date.now());

    const file = Buffer.from(`the file of ${videoId}`);
    const put = await fetch(body.uploadUrl!, { method: 'PUT', body: file, headers: { 'Content-Type': 'video/mp4' } });
    expect(put.status).toBe(200);
    expect(await s3.getObject(bucket, uploadKey(videoId))).toEqual(file);

    // Registering again (a retry) hands out the URL again while the video waits for its file.
    const again = await register(app, 'alice', { videoId });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Body).uploadUrl).toBeDefined();
  });

  it('gives no upload URL once the video is being processed', async () => {
    const videoId = uniqueId();
    await videos.sendEvent(ev.uploaded(videoId, 'alice'));
    await videos.sendEvent(ev.started(videoId));
    const res = await register(app, 'alice', { videoId });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.status).toBe('processing');
    expect(body).not.toHaveProperty('uploadUrl');
    expect(body).not.toHaveProperty('uploadUrlExpiresAt');
  });

  it('gives no upload URL without UPLOAD_BUCKET', async () => {
    const withoutUploads = openStorage(loadConfig(s3.env).storage, testLogger, { credentials: s3.credentials });
    const res = await register(apiWith(withoutUploads), 'alice', { videoId: uniqueId() });
    expect(res.status).toBe(201);
    expect(await res.json()).not.toHaveProperty('uploadUrl');
    withoutUploads.close();
  });

  it('documents uploadUrl and uploadUrlExpiresAt in the OpenAPI document', async () => {
    interface Schema {
      $ref?: string;
      properties?: Record<string, unknown>;
      required?: string[];
      allOf?: Schema[];
    }
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Schema }> }> }>>;
      components: { schemas: Record<string, Schema> };
    };
    for (const status of ['201', '200']) {
      expect(doc.paths['/v1/videos']!.post!.responses[status]!.content['application/json']!.schema.$ref).toBe('#/components/schemas/RegisteredVideo');
    }
    // The Video, extended with the two optional fields.
    const [base, extension] = doc.components.schemas.RegisteredVideo!.allOf!;
    expect(base).toEqual({ $ref: '#/components/schemas/Video' });
    expect(Object.keys(extension!.properties!)).toEqual(['uploadUrl', 'uploadUrlExpiresAt']);
    expect(extension!.required ?? []).toEqual([]);
    expect(doc.components.schemas.Video!.properties).toHaveProperty('imagesUrlExpiresAt');
    expect(doc.components.schemas.Video!.properties).not.toHaveProperty('uploadUrl');
  });
});

describe('vidproc api (the process)', () => {
  it('presigns with the credentials in its environment (the SDK default chain) and the S3 settings', async () => {
    const { videoId, bytes } = await completedVideo();
    const api = startVidproc('api', {
      ...s3.env,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true', // the chain stops at the environment; never ask a metadata service here
      IMAGES_URL_TTL: '2m',
      AUTH_JWT_SECRET: secret,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    try {
      const [, url] = await api.waitFor(READY.api, 30_000);
      const res = await fetch(`${url}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Body;
      expect(new URL(body.imagesUrl!).searchParams.get('X-Amz-Expires')).toBe('120');
      expect(new URL(body.imagesUrl!).searchParams.get('X-Amz-Credential')).toMatch(/^vidproc-test\//);
      expect(Buffer.from(await (await fetch(body.imagesUrl!)).arrayBuffer())).toEqual(bytes);
    } finally {
      await api.stop();
    }
  });
});

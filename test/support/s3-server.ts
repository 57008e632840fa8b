/**
 * The tests' S3-compatible server: moto's `moto_server` (PyPI `moto[server]`, installed into
 * .tools/moto by `npm install` through scripts/install-moto.sh; MOTO_SERVER_PATH names another),
 * started on a free port of 127.0.0.1 for one test file and stopped after it. Path-style
 * addressing (there is no DNS for virtual-hosted buckets on 127.0.0.1); any credentials do.
 *
 * What moto does not check (verified with moto 5.2.5): the signature and the expiry of a
 * presigned URL. A test here proves that a link reaches the object (endpoint, path style, bucket,
 * key, bytes); the expiry a real S3 enforces is what test/unit/presigner.test.ts pins down.
 */
import { spawn } from 'node:child_process';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { findTemporalTool } from '../../src/temporal/dev-server.js';
import { uniqueId } from './events.js';
import { waitForOutput } from './process-output.js';

// findTemporalTool is the project's one finder of a tool in .tools (explicit path, PATH, the project's copy).
const MOTO_SERVER = { name: 'moto_server', variable: 'MOTO_SERVER_PATH', projectPath: '.tools/moto/bin/moto_server' };

export interface S3Server {
  endpoint: string;
  /** The environment that points vidproc at this server (credentials aside). */
  env: Record<string, string>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client for the tests' own setup and checks. */
  client: S3Client;
  /** A new bucket with a unique name. */
  createBucket(): Promise<string>;
  putObject(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const path = findTemporalTool(MOTO_SERVER, process.env.MOTO_SERVER_PATH);
  if (!path) throw new Error('moto_server not found: `npm install` installs it (scripts/install-moto.sh), or set MOTO_SERVER_PATH');
  const child = spawn(path, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // moto picks the free port itself (-p 0) and says "Running on http://127.0.0.1:<port>".
  let endpoint: string;
  try {
    endpoint = (await waitForOutput(child, /Running on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`moto_server did not start: ${(err as Error).message}`);
  }

  const credentials = { accessKeyId: 'vidproc-test', secretAccessKey: 'vidproc-test-secret' };
  const region = 'us-east-1';
  const client = new S3Client({ region, endpoint, forcePathStyle: true, credentials });
  return {
    endpoint,
    env: { S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: region },
    credentials,
    client,
    async createBucket() {
      const bucket = uniqueId('bucket');
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async putObject(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async getObject(bucket, key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await object.Body!.transformToByteArray());
      } catch (err) {
        if ((err as Error).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

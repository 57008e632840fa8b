/**
 * The `vidproc` executable itself, run as a process (Node's type stripping runs the sources).
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { createAuthenticator } from '../../src/api/lib/auth.js';
import { ormConfig } from '../../src/db/config.js';
import { migrationsList } from '../../src/db/migrations/index.js';
import { runVidproc, vidprocArgs } from '../support/cli.js';
import { uniqueId } from '../support/events.js';

const SECRET = 'cli-test-secret-cli-test-secret-cli-test-secret';

const vidproc = (args: string[], env: Record<string, string> = {}) => runVidproc(args, { LOG_LEVEL: 'info', ...env });

const databaseUrl = `postgres://postgres@127.0.0.1:5432/vidproc_cli_${uniqueId('db').replace(/-/g, '_')}`;

afterAll(async () => {
  const orm = await MikroORM.init(ormConfig(databaseUrl));
  await orm.schema.dropDatabase();
  await orm.close(true);
});

describe('vidproc', () => {
  it('migrate creates a missing database, applies the migrations, and is idempotent', async () => {
    const first = await vidproc(['migrate'], { DATABASE_URL: databaseUrl });
    expect(first.code).toBe(0);
    const log = JSON.parse(first.stdout.trim().split('\n').pop()!) as { applied: string[]; msg: string };
    expect(log.applied).toEqual(migrationsList.map((m) => m.name));

    const second = await vidproc(['migrate'], { DATABASE_URL: databaseUrl });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('database is up to date');
  });

  it('fails fast on bad configuration, naming the variable', async () => {
    const res = await vidproc(['api'], { PORT: 'eighty', AMQP_URL: 'http://not-amqp' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('AMQP_URL');
  });

  it('token prints a token the API accepts, and refuses one that would live longer than the API allows', async () => {
    const res = await vidproc(['token', 'alice', '--operator', '--expires', '5m'], { AUTH_JWT_SECRET: SECRET });
    expect(res.code).toBe(0);
    const principal = await createAuthenticator({ secret: SECRET })(res.stdout.trim());
    expect(principal).toEqual({ userId: 'alice', operator: true });
    const tooLong = await vidproc(['token', 'alice', '--expires', '2d'], { AUTH_JWT_SECRET: SECRET });
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toMatch(/longer than AUTH_MAX_TOKEN_LIFETIME \(1d\)/);
    expect(tooLong.stdout).toBe('');
    expect((await vidproc(['token', 'alice', '--expires', '2d'], { AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: '7d' })).code).toBe(0);
  });

  it('stops gracefully on SIGTERM, also while still waiting for a dependency at start-up', async () => {
    const runUntil = (command: string, env: Record<string, string>, readyLine: RegExp) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, vidprocArgs(command), {
          env: { ...process.env, LOG_LEVEL: 'info', ...env },
        });
        let out = '';
        let signalled = false;
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (!signalled && readyLine.test(out)) {
            signalled = true;
            child.kill('SIGTERM');
          }
        });
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code, out }));
      });

    // The API with everything up: starts, then drains and stops in order.
    const api = await runUntil(
      'api',
      { AUTH_JWT_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS! },
      /api listening/,
    );
    expect(api.code).toBe(0);
    expect(api.out).toMatch(/"reason":"SIGTERM".*shutting down/);
    expect(api.out).toMatch(/"msg":"stopped"/);

    // The bridge while RabbitMQ cannot be reached: it keeps retrying, and SIGTERM still stops it.
    const bridge = await runUntil(
      'bridge',
      { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS! },
      /could not connect to RabbitMQ/,
    );
    expect(bridge.code).toBe(0);
    expect(bridge.out).toMatch(/"msg":"stopped"/);
  });

  it('rejects an unknown command with help', async () => {
    const res = await vidproc(['frobnicate']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/unknown command/);
  });
});

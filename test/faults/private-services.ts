/**
 * The fault suite's own Postgres, RabbitMQ and Temporal, to stop and restart at will: a private
 * Postgres cluster, a private RabbitMQ node and a Temporal dev server on a database file, each on
 * ports of its own under one temporary directory. The machine's Postgres (5432) and RabbitMQ
 * (5672) are shared (by other work and by CI) and are never touched.
 *
 * Postgres and RabbitMQ refuse to run as root: as root, their commands run as the `postgres` and
 * `rabbitmq` users (whose directories the suite hands over); as anyone else, as that user. The
 * RabbitMQ node shares the machine's Erlang cookie (its user's home) and nothing else: its own
 * node name, ports, data, logs, configuration and no plugins.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../../bench/stack.js';

const exec = promisify(execFile);

/** A dependency the suite can take down and bring back, its state kept. */
export interface PrivateService {
  name: string;
  /** Down: Postgres stopped as by a crash (`-m immediate`), the RabbitMQ node stopped, the dev server's process ended. */
  stop(): Promise<void>;
  /** Up again on the same port, with the same data; resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops it for good (idempotent). */
  destroy(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a command as `user` when this process is root (and as itself otherwise). */
async function runAs(user: string, file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), file, ...args]] : [file, args];
  try {
    const { stdout } = await exec(cmd, argv, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A directory `user` owns (when root: handed over to it), inside `base`. */
async function dirFor(base: string, name: string, user: string): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  if (isRoot()) {
    const { uid, gid } = await idsOf(user);
    await chown(dir, uid, gid);
  }
  return dir;
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user "${user}" on this machine (is it installed?)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The temp dir the services live in must be reachable by their users. */
export async function prepareBase(base: string): Promise<void> {
  await mkdir(base, { recursive: true });
  if (isRoot()) await chmod(base, 0o755);
}

/** The newest installed Postgres server's bin directory (FAULTS_PG_BIN overrides). */
async function postgresBin(): Promise<string> {
  if (process.env.FAULTS_PG_BIN) return process.env.FAULTS_PG_BIN;
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [] as string[])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(join(dir, 'pg_ctl')));
  if (!bin) throw new Error('no Postgres server under /usr/lib/postgresql (set FAULTS_PG_BIN to its bin directory)');
  return bin;
}

export interface PrivatePostgres extends PrivateService {
  /** The suite's database on this cluster. */
  url: string;
}

/** A Postgres cluster of its own (initdb, trust auth), on a free port of 127.0.0.1. */
export async function startPrivatePostgres(base: string, database: string): Promise<PrivatePostgres> {
  const bin = await postgresBin();
  const user = isRoot() ? 'postgres' : userInfo().username;
  const data = await dirFor(base, 'postgres', user);
  const port = await freePort();
  await runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth', 'trust', '-N']);
  const pgCtl = (...args: string[]) => runAs(user, join(bin, 'pg_ctl'), ['-D', data, ...args]);
  let up = false;
  let destroyed = false;
  const service: PrivatePostgres = {
    name: 'postgres',
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await pgCtl('-o', `-p ${port} -k ${data} -c listen_addresses=127.0.0.1`, '-l', join(data, 'server.log'), '-w', '-t', '60', 'start');
      up = true;
    },
    async stop() {
      up = false;
      await pgCtl('-m', 'immediate', '-w', 'stop');
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (up) await service.stop().catch(() => undefined);
    },
  };
  await service.start();
  return service;
}

export interface PrivateRabbitMQ extends PrivateService {
  url: string;
}

/** A RabbitMQ node of its own (vidproc-faults-<pid>@localhost), on free ports of 127.0.0.1. */
export async function startPrivateRabbitMQ(base: string): Promise<PrivateRabbitMQ> {
  const user = isRoot() ? 'rabbitmq' : userInfo().username;
  const dir = await dirFor(base, 'rabbitmq', user);
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `vidproc-faults-${process.pid}@localhost`;
  const configFile = join(dir, 'rabbitmq.conf');
  const pluginsFile = join(dir, 'enabled_plugins');
  const pidFile = join(dir, 'node.pid');
  await writeFile(configFile, `listeners.tcp.local = 127.0.0.1:${port}\n`);
  await writeFile(pluginsFile, '[].\n');
  if (isRoot()) {
    const { uid, gid } = await idsOf(user);
    await chown(configFile, uid, gid);
    await chown(pluginsFile, uid, gid);
  }
  const home = isRoot() ? '/var/lib/rabbitmq' : (process.env.HOME ?? '/tmp');
  const env = {
    HOME: home,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_PID_FILE: pidFile,
  };
  const sbin = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : '';
  const tool = (name: string) => (sbin ? join(sbin, name) : name);
  const ctl = (...args: string[]) => runAs(user, tool('rabbitmqctl'), ['-n', node, ...args], env);
  let up = false;
  let destroyed = false;
  const service: PrivateRabbitMQ = {
    name: 'rabbitmq',
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    async start() {
      await runAs(user, tool('rabbitmq-server'), ['-detached'], env);
      up = true;
      await ctl('wait', '--timeout', '120', pidFile);
    },
    async stop() {
      up = false;
      await ctl('stop', pidFile);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (!up) return;
      await service.stop().catch(async () => {
        // The node did not stop when asked: end its process (the one this suite started).
        const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      });
    },
  };
  await service.start();
  return service;
}

export interface PrivateTemporal extends PrivateService {
  address: string;
}

/** A Temporal dev server whose state is a SQLite file, so that a restart keeps every workflow. */
export async function startPrivateTemporal(base: string, cliPath?: string): Promise<PrivateTemporal> {
  const dbFilename = join(base, 'temporal.db');
  const port = await freePort();
  let server: DevServer | undefined;
  const service: PrivateTemporal = {
    name: 'temporal',
    address: `127.0.0.1:${port}`,
    async start() {
      server = await startDevServer({ cliPath, port, dbFilename });
    },
    async stop() {
      const s = server;
      server = undefined;
      await s?.stop();
    },
    destroy: () => service.stop(),
  };
  await service.start();
  return service;
}

/**
 * Waits until `check` holds (polling), or throws naming `what`. A check that has not answered
 * within `checkTimeoutMs` counts as not holding (a call to a server that is restarting may hang).
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200, checkTimeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bounded = () =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(1, Math.min(checkTimeoutMs, deadline - Date.now())));
      check().then(
        (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
        () => {
          clearTimeout(timer);
          resolve(false);
        },
      );
    });
  while (!(await bounded())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

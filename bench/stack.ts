/**
 * What every benchmark phase shares: the bench configuration (its own database, exchange, queue,
 * task queue and JWT secret), the vidproc processes started from dist/main.js as in production,
 * and their stop. Used by bench/run.ts and by the phases that also run alone (bench/list-videos.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config/env.js';
import { migrateDatabase } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { startPrometheus } from '../test/support/prometheus.js';

export const int = (name: string, fallback: number) => Number.parseInt(process.env[name] ?? '', 10) || fallback;

export const run = randomUUID().slice(0, 8);
export const benchEnv = {
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vidproc_bench',
  AMQP_EXCHANGE: `bench.events.${run}`,
  AMQP_QUEUE: `bench.tracker.${run}`,
  TEMPORAL_TASK_QUEUE: `bench-${run}`,
  HOST: '127.0.0.1',
  AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // The webhook receiver is on this machine; retries short enough for a receiver down for seconds.
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_INITIAL: '1s',
  WEBHOOK_RETRY_MAX_INTERVAL: '5s',
  // The phases measure one user's reads at full speed: no per-user limit (the overload phase sets its own).
  API_RATE_LIMIT: '0',
  // Each process's metrics on a port of its own (startStack scrapes the stack's), or none: BENCH_METRICS=off.
  METRICS_PORT: process.env.BENCH_METRICS === 'off' ? 'off' : '0',
};
/** With metrics on, a real Prometheus scrapes the stack's processes this often (seconds; 1 by default: the worst case). */
const SCRAPE_S = int('BENCH_SCRAPE_S', 1);
export const config = loadConfig({ ...process.env, ...benchEnv });
export const logger = createLogger(config.LOG_LEVEL);
const mainPath = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const logPath = join(tmpdir(), `vidproc-bench-${run}.log`);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * BENCH_PROFILE=worker,bridge,api: those processes write V8 CPU profiles (one per thread; open them
 * in Chrome DevTools or speedscope, or summarize with bench/profile-top.ts) into
 * BENCH_PROFILE_DIR/<command>/ (default: a directory in the temp dir) when they stop.
 */
const profiled = new Set((process.env.BENCH_PROFILE ?? '').split(',').map((c) => c.trim()).filter(Boolean));
const profileDir = process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), `vidproc-bench-${run}-profiles`);

/**
 * Starts `vidproc <command>` as a process of its own, its output appended to the bench log.
 * `wrap` may put it in a shell first (bench/burst.ts: into a memory cgroup), which must `exec` node.
 */
export function spawnVidproc(command: string, env: Record<string, string>, wrap?: (argv: string[]) => string[]): ChildProcess {
  const log = createWriteStream(logPath, { flags: 'a' });
  // A directory per command: each thread (the worker's workflow threads too) writes its own file.
  const profile = profiled.has(command) ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, command)}`] : [];
  if (profile.length) logger.warn({ command, profileDir }, 'writing a CPU profile');
  const node = [process.execPath, ...profile, mainPath, command];
  const argv = wrap ? wrap(node) : node;
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') logger.error({ command, code, signal, logPath }, 'a vidproc process exited');
  });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms (see ${logPath})`);
    await sleep(200);
  }
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

const stops: Array<() => Promise<void>> = [];
/** Something to undo when the bench stops (last registered, first undone). */
export const onStop = (stop: () => Promise<void>) => void stops.push(stop);
/** Stops what was started, last first (each only once). */
export async function stopAll(): Promise<void> {
  for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch((err: unknown) => logger.warn({ err }, 'stop failed'));
}

/**
 * The Temporal dev server (unless TEMPORAL_ADDRESS is set), the migrated bench database, and
 * `vidproc <command>` for each command (a command named twice runs twice: two workers, two
 * bridges); resolves once the API (if started) answers /readyz.
 */
export interface Stack {
  address: string;
  api: { url: string; pid?: number };
  /** Process ids: each vidproc command's (the last, if it runs twice), and the dev server's (`server`, when this bench started it). */
  pids: Record<string, number | undefined>;
  /** Every vidproc process, in the order of `commands`. */
  processes: Array<{ command: string; pid: number | undefined }>;
  /** The environment the vidproc processes were started with (to start more like them). */
  env: Record<string, string>;
}

export async function startStack(commands: string[]): Promise<Stack> {
  // Before the dev server (which would install a default one): the SDK's logs in this process
  // (the floor's worker: bundling, pollers) only when something is wrong.
  if (!Runtime._instance) Runtime.install({ logger: new DefaultLogger('WARN') });
  let address = config.TEMPORAL_ADDRESS;
  if (!address) {
    const server = await startDevServer({ cliPath: config.TEMPORAL_CLI_PATH });
    address = server.address;
    stops.push(() => server.stop());
  }
  await migrateDatabase(config.DATABASE_URL);
  const port = await freePort();
  const env = { ...benchEnv, TEMPORAL_ADDRESS: address, PORT: String(port) };
  const metricsPorts = benchEnv.METRICS_PORT === 'off' ? [] : await Promise.all(commands.map(() => freePort()));
  const children = commands.map((command, i) => spawnVidproc(command, metricsPorts[i] ? { ...env, METRICS_PORT: String(metricsPorts[i]) } : env));
  stops.push(async () => {
    for (const child of children.reverse()) await stopProcess(child);
  });
  if (metricsPorts.length) {
    const prometheus = await startPrometheus(Object.fromEntries(commands.map((command, i) => [command, [`127.0.0.1:${metricsPorts[i]}`]])), SCRAPE_S);
    stops.push(() => prometheus.stop());
    logger.info({ prometheus: prometheus.url, everySeconds: SCRAPE_S }, 'metrics on: Prometheus scrapes the stack');
  }
  const api = { url: `http://127.0.0.1:${port}`, pid: children[commands.indexOf('api')]?.pid };
  if (commands.includes('api')) await until('api', async () => (await fetch(`${api.url}/readyz`)).ok);
  const pids: Stack['pids'] = Object.fromEntries(commands.map((command, i) => [command, children[i]?.pid]));
  if (!config.TEMPORAL_ADDRESS) pids.server = await pidListeningOn(address);
  return { address, api, env, pids, processes: commands.map((command, i) => ({ command, pid: children[i]?.pid })) };
}

/** The dev server's process: the `temporal server start-dev` whose arguments name this port. */
async function pidListeningOn(address: string): Promise<number | undefined> {
  const port = address.split(':').pop();
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args.includes('start-dev') && args[args.indexOf('--port') + 1] === port) return Number(entry);
  }
  return undefined;
}

/**
 * CPU time of processes over a phase: less disturbed than wall time by whatever else the machine
 * runs, so "CPU ms per video" of each process says where a phase's work goes.
 */
export async function cpuMeter(pids: Record<string, number | undefined>) {
  const read = async () => Object.fromEntries(await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await cpuSeconds(pid)] as const)));
  const before = await read();
  return async (): Promise<Record<string, number>> => {
    const after = await read();
    return Object.fromEntries(Object.keys(pids).map((name) => [name, after[name]! - before[name]!]));
  };
}

/** Some of the Temporal SDK's metrics (its Prometheus text at `url`, `temporal_` prefix and `_total` off), each summed over its label sets. */
export async function scrapeSdkMetrics<M extends string>(url: string, names: readonly M[]): Promise<Partial<Record<M, number>>> {
  const text = await (await fetch(url)).text();
  const values: Partial<Record<M, number>> = {};
  for (const line of text.split('\n')) {
    const m = /^temporal_([a-z_]+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && (names as readonly string[]).includes(m[1]!)) values[m[1] as M] = (values[m[1] as M] ?? 0) + Number(m[2]);
  }
  return values;
}

/** Rows of [measure, result] as a Markdown table. */
export function markdownTable(rows: string[][]): string {
  const width = Math.max(...rows.map(([k]) => k!.length));
  return [
    `| ${'measure'.padEnd(width)} | result |`,
    `| ${'-'.repeat(width)} | ------ |`,
    ...rows.map(([k, v]) => `| ${k!.padEnd(width)} | ${v} |`),
  ].join('\n');
}

/** Runs a benchmark to its end: exit 0 when done; on a failure, log it, stop what was started, exit 1. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      logger.fatal({ err }, `${name} failed`);
      await stopAll();
      process.exit(1);
    },
  );
}

/** CPU seconds (user + system) a process of this machine has used so far (Linux /proc), or NaN. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

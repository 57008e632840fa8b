/**
 * `vidproc <command>` as an OS process of its own, as in production, for an integration test: its
 * output kept (stdout and stderr together, the JSON log lines), waited on for a line (ready, or
 * listening at an address), and stopped as an orchestrator would, SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config/env.js';
import { vidprocArgs } from './cli.js';

/**
 * The environment that points a vidproc process at a test's config (its database, Temporal task
 * queue, RabbitMQ names, token secret and workflow bundle), serving on free ports of 127.0.0.1.
 */
export const vidprocEnv = (config: Config): Record<string, string> => ({
  DATABASE_URL: config.DATABASE_URL,
  TEMPORAL_ADDRESS: config.temporal.address,
  TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
  AMQP_URL: config.AMQP_URL,
  AMQP_EXCHANGE: config.AMQP_EXCHANGE,
  AMQP_QUEUE: config.AMQP_QUEUE,
  AUTH_JWT_SECRET: config.AUTH_JWT_SECRET!,
  ...(config.WORKFLOW_BUNDLE_PATH ? { WORKFLOW_BUNDLE_PATH: config.WORKFLOW_BUNDLE_PATH } : {}),
  HOST: '127.0.0.1',
  PORT: '0',
});

/** The log lines that say a process is ready: the worker polls, the bridge consumes, the API listens (at the URL captured). */
export const READY = {
  worker: /"msg":"worker running"/,
  bridge: /"msg":"connected to RabbitMQ"/,
  api: /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"api listening"/,
};

export interface VidprocProcess {
  /** What the test calls it (in failure messages): the command unless told otherwise. */
  name: string;
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Its JSON log lines so far (pino's, one object a line on stdout), whole lines only. */
  logLines(): Array<Record<string, unknown>>;
  /**
   * The first match of `pattern` in what it wrote, from its start (a line written before the call
   * counts); rejects, with its output, when it exits first or after `timeoutMs`.
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves with its exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  name?: string;
}

const started: VidprocProcess[] = [];

/** Starts `vidproc <command>` with `env` on top of the test process's environment. */
export function startVidproc(command: string, env: Record<string, string>, { name = command }: StartOptions = {}): VidprocProcess {
  const child = spawn(process.execPath, vidprocArgs(command), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // The log on its own too: a chunk of stderr may land in the middle of a line of it in `out`.
  let stdout = '';
  // Read both pipes for the whole life of the process, so that a full pipe never blocks it.
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  // 'close' comes after 'exit' once both pipes are drained: only then is all it wrote in `out`.
  let closed = false;
  child.once('close', () => (closed = true));

  const proc: VidprocProcess = {
    name,
    child,
    output: () => out,
    logLines: () =>
      stdout
        .slice(0, stdout.lastIndexOf('\n') + 1) // whole lines: the last may still be on its way
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitFor: (pattern, timeoutMs = 90_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out);
          if (match) finish(() => resolve(match));
          else if (closed) finish(() => reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`)));
        };
        const finish = (outcome: () => void) => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          child.off('close', check);
          outcome();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${out}`))), timeoutMs);
        // After the listeners that keep `out` (added at spawn), so each chunk is in it when checked.
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.on('close', check);
        check();
      }),
    async stop(graceMs = 30_000) {
      if (hasExited()) return child.exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
  started.push(proc);
  return proc;
}

/** Stops every process this test file started, the last started first (for an afterAll). */
export async function stopVidprocs(): Promise<void> {
  for (const proc of started.splice(0).reverse()) await proc.stop();
}

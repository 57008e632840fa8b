/**
 * A `vidproc <command>` OS process the fault suite can SIGKILL and start again, with the same
 * environment (the API on the same port). Like an orchestrator, it starts the process again when
 * it exits on its own (say, after losing a dependency), a second later, and records that exit.
 * Its output goes to <logDir>/<name>.log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ExitOnItsOwn {
  name: string;
  code: number | null;
  signal: string | null;
  /** What the suite was doing (the fault under way, or "flow"). */
  during: string;
}

export interface SupervisedProcess {
  name: string;
  pid(): number | undefined;
  /** SIGKILL, then resolves once it is gone (not started again: call start()). */
  kill(): Promise<void>;
  /** Starts it (again). */
  start(): void;
  /** SIGTERM, and resolves once it exited; not started again. */
  stop(): Promise<void>;
}

export interface SupervisorContext {
  logDir: string;
  /** node's arguments that run `vidproc <command>`. */
  argv: (command: string) => string[];
  env: Record<string, string>;
  /** What the suite is doing now, for the record of an exit. */
  phase: () => string;
  exits: ExitOnItsOwn[];
}

export function superviseVidproc(context: SupervisorContext, name: string, command: string, env: Record<string, string> = {}): SupervisedProcess {
  const log = createWriteStream(join(context.logDir, `${name}.log`), { flags: 'a' });
  let child: ChildProcess | undefined;
  let wanted = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve())));

  const start = () => {
    clearTimeout(restartTimer);
    wanted = true;
    const c = spawn(process.execPath, context.argv(command), { env: { ...process.env, ...context.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout.pipe(log, { end: false });
    c.stderr.pipe(log, { end: false });
    c.once('exit', (code, signal) => {
      if (child !== c || !wanted) return;
      context.exits.push({ name, code, signal, during: context.phase() });
      log.write(`\n[faults] ${name} exited on its own (${code ?? signal}); starting it again in 1 s\n`);
      restartTimer = setTimeout(() => wanted && child === c && start(), 1_000);
    });
  };

  return {
    name,
    pid: () => child?.pid,
    start,
    async kill() {
      wanted = false;
      clearTimeout(restartTimer);
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      await exited(c);
    },
    async stop() {
      wanted = false;
      clearTimeout(restartTimer);
      const c = child;
      if (!c) return;
      c.kill('SIGTERM');
      await exited(c);
    },
  };
}

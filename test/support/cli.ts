/** Runs `vidproc` as a real process: src/main.ts through Node's type stripping (see ts-hooks.mjs). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const hooks = fileURLToPath(new URL('./ts-hooks.mjs', import.meta.url));
export const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** The arguments that start `vidproc` (after process.execPath). */
export const vidprocArgs = (...args: string[]) => ['--no-warnings', '--import', hooks, main, ...args];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vidproc <args>` to completion with this environment (on top of the test process's). */
export async function runVidproc(args: string[], env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, vidprocArgs(...args), { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as CliResult;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

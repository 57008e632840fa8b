import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { hooks } from '../support/cli.js';

const script = fileURLToPath(new URL('../support/stuck-stop.ts', import.meta.url));

/** Starts the stuck process, sends SIGTERM once it is ready, and gives back how it ended. */
function terminate(shutdownTimeoutMs: number, giveUpMs: number): Promise<{ code: number | null; out: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', '--import', hooks, script, String(shutdownTimeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (chunk.includes('ready')) {
        child.kill('SIGTERM');
        setTimeout(() => {
          killed = child.exitCode === null;
          if (killed) child.kill('SIGKILL');
        }, giveUpMs).unref();
      }
    });
    child.on('exit', (code) => resolve({ code, out, killed }));
  });
}

describe('the supervisor on SIGTERM', () => {
  it('exits non-zero once SHUTDOWN_TIMEOUT has passed with a part still stopping, naming it', async () => {
    const ended = await terminate(300, 20_000);
    expect(ended.killed).toBe(false);
    expect(ended.code).toBe(1);
    const line = ended.out.split('\n').find((l) => l.includes('shutdown timed out'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'error', shutdownTimeoutMs: 300, stopping: 'stuck' });
  });

  it('without a timeout, waits for the part (it is the orchestrator that kills it)', async () => {
    const ended = await terminate(0, 1_500);
    expect(ended.killed).toBe(true);
  });
});

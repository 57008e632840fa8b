/** Waiting for a line of a child process's output (a server saying where it listens). */
import type { ChildProcess } from 'node:child_process';

/**
 * The first match of `pattern` in what `child` writes (stdout and stderr together); rejects, with
 * that output, when the child exits first or after `timeoutMs`. The child's output keeps being
 * read afterwards, so that a full pipe never blocks it.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`))), timeoutMs);
    const onData = (chunk: Buffer) => {
      if (settled) return;
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) settle(() => resolve(match));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => settle(() => reject(err)));
    child.once('exit', (code) => settle(() => reject(new Error(`exited (${code}) before ${pattern}:\n${output}`))));
  });
}

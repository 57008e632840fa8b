/**
 * A real Prometheus for the tests (Debian's, installed into .tools/prometheus by
 * scripts/install-prometheus.sh; PROMETHEUS_PATH names another): started on a free loopback port
 * with a scrape configuration of the test's, queried through its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const prometheusPath =
  process.env.PROMETHEUS_PATH ?? fileURLToPath(new URL('../../.tools/prometheus/bin/prometheus', import.meta.url));

export interface Prometheus {
  url: string;
  /** An instant query's samples: labels and value. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** The one value of a query that returns one sample, or undefined when it returns none. */
  scalar(promql: string): Promise<number | undefined>;
  output(): string;
  stop(): Promise<void>;
}

/** Scrapes each job's targets (host:port, path /metrics) every `intervalSeconds`. */
export async function startPrometheus(jobs: Record<string, string[]>, intervalSeconds = 1): Promise<Prometheus> {
  if (!existsSync(prometheusPath)) {
    throw new Error(`no Prometheus at ${prometheusPath}: run scripts/install-prometheus.sh (or set PROMETHEUS_PATH)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'vidproc-prometheus-'));
  const scrapeConfigs = Object.entries(jobs)
    .map(([job, targets]) => `  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`)
    .join('\n');
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${intervalSeconds}s\n  scrape_timeout: ${intervalSeconds}s\n  evaluation_interval: ${intervalSeconds}s\nscrape_configs:\n${scrapeConfigs}\n`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    prometheusPath,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;

  async function query(promql: string) {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  // Ready when its API answers.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited (${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Prometheus did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    query,
    async scalar(promql) {
      const samples = await query(promql);
      if (samples.length > 1) throw new Error(`${promql} returned ${samples.length} samples`);
      return samples[0]?.value;
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A RabbitMQ node of the test's own (its own node name, ports and data directory under a temp
 * dir), for what must never be done to the shared broker: raising a memory alarm. Started with
 * the installed `rabbitmq-server`, driven and stopped with `rabbitmqctl -n <node>`.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateRabbitMq {
  url: string;
  node: string;
  /** `rabbitmqctl -n <this node> ...args` */
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateRabbitMq(name: string): Promise<PrivateRabbitMq> {
  const dir = await mkdtemp(join(tmpdir(), 'vidproc-rabbitmq-'));
  await chmod(dir, 0o777); // the server may run as the rabbitmq user
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `vidproc-test-${name}-${process.pid}@localhost`;
  const file = (base: string, text: string) => writeFile(join(dir, base), text, { mode: 0o644 }).then(() => join(dir, base));
  const env = {
    ...process.env,
    // Its own env and config files: the system's name the system node and its port.
    // Erlang distribution on loopback only, like the system node's.
    RABBITMQ_CONF_ENV_FILE: await file('rabbitmq-env.conf', `NODENAME=${node}\nERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n`),
    RABBITMQ_CONFIG_FILE: await file('rabbitmq.conf', `listeners.tcp.local = 127.0.0.1:${port}\n`),
    RABBITMQ_ENABLED_PLUGINS_FILE: await file('enabled_plugins', '[].\n'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  const ctl = async (...args: string[]) => (await run('rabbitmqctl', ['-n', node, ...args])).stdout;
  await run('rabbitmq-server', ['-detached'], { env });
  // await_startup fails at once while the booting node is not yet known to epmd: ask again until it answers.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await ctl('await_startup', '--timeout', '60');
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await ctl('stop').catch(() => undefined);
        const log = await nodeLog(join(dir, 'log'));
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        throw new Error(`the private RabbitMQ node ${node} did not start: ${(err as Error).message.split('\n')[0]}\n--- its log ends:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    node,
    ctl,
    async stop() {
      await ctl('stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** The last lines of the node's logs, to say why it did not start. */
async function nodeLog(logDir: string): Promise<string> {
  try {
    const files = (await readdir(logDir)).filter((f) => f.endsWith('.log'));
    const texts = await Promise.all(files.map(async (f) => `${f}:\n${(await readFile(join(logDir, f), 'utf8')).split('\n').slice(-30).join('\n')}`));
    return texts.join('\n') || '(empty)';
  } catch {
    return '(no log)';
  }
}

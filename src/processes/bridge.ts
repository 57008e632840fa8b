/** The bridge process: RabbitMQ -> Temporal. */
import { topologyNames } from '../amqp/topology.js';
import { createBridge } from '../bridge/consumer.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../logger.js';
import { watchQueues } from '../metrics/queue-depth.js';
import { connectClient } from '../temporal/connection.js';
import { createVideoGateway } from '../temporal/video-gateway.js';
import type { Running } from './running.js';

export async function startBridge(config: Config, logger: Logger): Promise<Running> {
  const { connection, client } = await connectClient(config.temporal);
  const gateway = createVideoGateway(client, { taskQueue: config.temporal.taskQueue });
  const bridge = createBridge({ config, gateway, logger });
  try {
    await bridge.start();
  } catch (err) {
    await connection.close();
    throw err;
  }
  const names = topologyNames(config);
  const queues = config.metrics.enabled ? await watchQueues(config.AMQP_URL, { events: names.queue, dead_letters: names.deadLetterQueue }, logger) : undefined;
  return {
    endpoints: { bridge: `exchange ${names.exchange} -> queue ${names.queue} (dead letters: ${names.deadLetterQueue})` },
    async stop() {
      await bridge.stop();
      await queues?.close();
      await connection.close();
    },
  };
}

/** Connections to Temporal: a self-hosted cluster, Temporal Cloud (TLS + API key) or the dev server. */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/env.js';

export type TemporalConfig = Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS'> & {
  address: string;
};

function tlsOptions(config: TemporalConfig): { tls?: ConnectionOptions['tls']; apiKey?: string } {
  const useTls = config.TEMPORAL_TLS || config.TEMPORAL_API_KEY !== undefined;
  return {
    ...(useTls ? { tls: {} } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

export async function connectClient(config: TemporalConfig, options: { rejectQueriesWhenClosed?: boolean } = {}) {
  const connection = await Connection.connect({ address: config.address, ...tlsOptions(config) });
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(options.rejectQueriesWhenClosed ? { workflow: { queryRejectCondition: 'NOT_OPEN' as const } } : {}),
  });
  return { connection, client };
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address, ...tlsOptions(config) });
}

/** Connections to Temporal: a self-hosted cluster, Temporal Cloud (TLS + API key) or the dev server. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from '../config/env.js';
import { tracedClientOptions } from '../tracing/temporal.js';

type Target = Pick<TemporalSettings, 'address' | 'apiKey' | 'tls'>;

const connectionOptions = ({ address, apiKey, tls }: Target) => ({
  address,
  ...(tls ? { tls: {} } : {}),
  ...(apiKey ? { apiKey } : {}),
});

export async function connectClient(settings: Target & Pick<TemporalSettings, 'namespace'>, options: { rejectQueriesWhenClosed?: boolean } = {}) {
  const connection = await Connection.connect(connectionOptions(settings));
  const client = new Client({
    connection,
    namespace: settings.namespace,
    ...tracedClientOptions(),
    ...(options.rejectQueriesWhenClosed ? { workflow: { queryRejectCondition: 'NOT_OPEN' as const } } : {}),
  });
  return { connection, client };
}

export async function connectWorker(settings: Target): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(settings));
}

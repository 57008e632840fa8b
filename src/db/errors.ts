/** What a database error means for the caller: Postgres is unavailable, or refused the data. */
import { DriverException } from '@mikro-orm/core';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE']);

function codeOf(err: unknown): string | undefined {
  if (err instanceof DriverException) return err.code ?? err.sqlState;
  return (err as { code?: unknown } | null)?.code as string | undefined;
}

/** Postgres cannot be reached or is not accepting work (connection, shutdown, resources). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  // pg-pool's own: no free connection within its wait ("timeout exceeded when trying to connect").
  if (code === undefined) return err instanceof Error && /timeout acquiring|timeout exceeded when trying to connect|connection terminated|Connection not established/i.test(err.message);
  // SQLSTATE 08 connection exception, 53 insufficient resources, 57P0x operator intervention.
  return NETWORK_CODES.has(code) || /^(08|53|57P0)/.test(code);
}

/** Postgres refused the data itself (SQLSTATE 22 data exception, 23 integrity violation): retrying cannot help. */
export function isDataRefused(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

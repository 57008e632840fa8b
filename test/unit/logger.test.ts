/** Logs never show secrets or tokens: pino's redact over the keys that carry them. */
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, REDACTED } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', 'test', stream), text: () => lines.join('') };
}

describe('createLogger: redaction', () => {
  it('hides authorization headers, tokens, webhook secrets, passwords and connection URLs, at any of the usual depths', () => {
    const { logger, text } = capture();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    logger.info({ authorization: `Bearer ${jwt}` }, 'top');
    logger.info({ req: { headers: { authorization: `Bearer ${jwt}`, cookie: 'session=s3cr3t-cookie', 'set-cookie': 'a=s3cr3t-set' } } }, 'request');
    logger.info({ headers: { Authorization: `Bearer ${jwt}` } }, 'headers');
    logger.info({ endpoint: { id: 'e1', secret: 'whsec_TOPSECRETwebhook', previousSecret: 'whsec_OLDSECRETwebhook' } }, 'endpoint');
    logger.info({ token: jwt, config: { AUTH_JWT_SECRET: 'jwt-secret-value-0123456789', DATABASE_URL: 'postgres://u:dbpass@db/x' } }, 'config');
    logger.child({ component: 'x' }).warn({ err: { password: 'hunter2-pw' }, amqp: { AMQP_URL: 'amqp://u:mqpass@mq' } }, 'child');
    const out = text();
    for (const secret of [jwt, 's3cr3t-cookie', 's3cr3t-set', 'TOPSECRETwebhook', 'OLDSECRETwebhook', 'jwt-secret-value', 'dbpass', 'hunter2-pw', 'mqpass']) {
      expect(out).not.toContain(secret);
    }
    expect(out.split(REDACTED).length - 1).toBeGreaterThanOrEqual(12);
    // What is not secret stays.
    expect(out).toContain('"id":"e1"');
    expect(out).toContain('"component":"x"');
  });
});

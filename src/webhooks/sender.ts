/**
 * POSTs one signed webhook to its endpoint and says how it went, never throwing for what the
 * receiver or the network did: the address is checked again (SSRF) and the connection goes to
 * the address checked, not to a second resolution; redirects are not followed (a 3xx is a
 * failure: it could lead anywhere); the whole request is bounded by `timeoutMs`; of the answer
 * only its status and a few hundred characters (for the deliveries log) are read.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AttemptResult } from '../domain/webhook-events.js';
import { checkEndpointAddress, type CheckedAddress } from './endpoint-address.js';

export interface WebhookSenderOptions {
  /** Private, loopback and link-local addresses (and plain http) allowed: WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** One attempt's limit, from connecting to the end of the answer: WEBHOOK_TIMEOUT. */
  timeoutMs: number;
}

export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult>;
  /** Closes the kept-alive connections (when the worker stops). */
  close(): void;
}

/** How much of a failed answer the log keeps. */
const ANSWER_SNIPPET = 200;

/** A lookup that answers the checked address whatever the name: the connection goes where the check looked. */
const pinnedLookup =
  ({ address, family }: CheckedAddress): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (err: null, addresses: CheckedAddress[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };

export function createWebhookSender({ allowPrivate, timeoutMs }: WebhookSenderOptions): WebhookSender {
  // Kept-alive connections, each made to a checked address.
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

  return {
    async post(url, headers, body) {
      const checked = await checkEndpointAddress(url, allowPrivate);
      if (!checked.ok) return { ok: false, statusCode: null, error: `not sent: ${checked.reason}` };
      const target = new URL(url);
      const protocol = target.protocol as keyof typeof agents;
      const request = protocol === 'https:' ? https.request : http.request;
      return new Promise<AttemptResult>((resolve) => {
        const req = request(
          target,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            agent: agents[protocol],
            lookup: pinnedLookup(checked.address),
            signal: AbortSignal.timeout(timeoutMs),
          },
          (res) => {
            const statusCode = res.statusCode ?? 0;
            let answer = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              if (answer.length < ANSWER_SNIPPET) answer += chunk;
            });
            res.on('error', (err) => resolve({ ok: false, statusCode, error: `answer cut off: ${err.message}` }));
            // Closed without an end (the timeout, a reset): a failure (after 'end' this changes nothing).
            res.on('close', () => resolve({ ok: false, statusCode, error: 'answer cut off' }));
            res.on('end', () => {
              if (statusCode >= 200 && statusCode < 300) return resolve({ ok: true, statusCode });
              const redirect = statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : '';
              const snippet = answer.trim().slice(0, ANSWER_SNIPPET);
              resolve({ ok: false, statusCode, error: `answered ${statusCode}${redirect}${snippet ? `: ${snippet}` : ''}` });
            });
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
          resolve({ ok: false, statusCode: null, error: timedOut ? `no answer within ${timeoutMs} ms` : err.message });
        });
        req.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

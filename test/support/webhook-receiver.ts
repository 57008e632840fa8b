/**
 * A real webhook receiver, as a user would run one: it verifies every request's signature with
 * the Standard Webhooks library's `verify` (the same library vidproc signs with) and keeps what
 * verified. It can answer with an error, or stop listening for a while and come back on the same
 * port (a receiver that is down).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookBody } from '../../src/domain/webhook-events.js';

export interface ReceivedWebhook {
  id: string;
  body: WebhookBody;
  headers: IncomingHttpHeaders;
}

export interface SignedWebhookReceiver {
  url: string;
  /** Every request that verified, in arrival order (duplicates included). */
  received: ReceivedWebhook[];
  /** Requests whose signature did not verify (answered 401). */
  rejected: string[];
  /** The secrets to verify with (a request verifies if one of them accepts it). */
  secrets: string[];
  /** Answer every request with this status (after verifying), or null to accept (204). */
  failWith(status: number | null): void;
  /** What a receiver deduplicating on webhook-id keeps: the first of each id. */
  unique(): ReceivedWebhook[];
  ofType(type: string): ReceivedWebhook[];
  /** Stops listening: connections are refused until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSignedWebhookReceiver(path = '/hooks/vidproc'): Promise<SignedWebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const rejected: string[] = [];
  const secrets: string[] = [];
  let failStatus: number | null = null;

  const verify = (payload: string, headers: IncomingHttpHeaders): WebhookBody | string => {
    const plain = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
    let last = 'no secret to verify with';
    for (const secret of secrets) {
      try {
        return new Webhook(secret).verify(payload, plain) as WebhookBody;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    return last;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const verified = verify(Buffer.concat(chunks).toString('utf8'), req.headers);
      if (typeof verified === 'string') {
        rejected.push(verified);
        res.writeHead(401).end('signature does not verify');
        return;
      }
      if (failStatus !== null) {
        res.writeHead(failStatus).end('receiver is failing on purpose');
        return;
      }
      received.push({ id: String(req.headers['webhook-id']), body: verified, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // kept-alive ones too: the next request is refused
    await closed;
  };
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    rejected,
    secrets,
    failWith(status) {
      failStatus = status;
    },
    unique() {
      const seen = new Set<string>();
      return received.filter((r) => !seen.has(r.id) && seen.add(r.id));
    },
    ofType: (type) => received.filter((r) => r.body.type === type),
    stop,
    start: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}

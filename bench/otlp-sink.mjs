#!/usr/bin/env node
// An OTLP/HTTP endpoint that takes spans and drops them: the far end of `npm run bench` with tracing
// on (OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318), so the processes pay for making and
// exporting their spans, not for a collector. Prints what it took when stopped (SIGTERM, SIGINT).
//   node bench/otlp-sink.mjs [port]      (default 4318)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 4318);
let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`otlp-sink: listening on http://127.0.0.1:${port}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    process.stdout.write(`otlp-sink: ${requests} export requests, ${(bytes / 2 ** 20).toFixed(1)} MiB\n`);
    process.exit(0);
  });
}

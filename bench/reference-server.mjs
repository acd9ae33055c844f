// The benchmark's reference: one bare Node HTTP hop that answers a greeting
// line from its socket, with none of the services' routing, logging or checks.
// PORT, and HOST (default 127.0.0.1; 0.0.0.0 in a container, to be published).
// No types: the benchmark runs it as JavaScript (see referenceScript in bench.ts).
import { createServer } from 'node:http';

const port = Number(process.env['PORT']);
const host = process.env['HOST'] || '127.0.0.1';
createServer((req, res) => {
  const { remoteAddress, remotePort, localAddress, localPort } = req.socket;
  const body = `Hello from ${remoteAddress}:${remotePort} to ${localAddress}:${localPort}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, host);

// As the services do: a container's SIGTERM ends it at once, not after Docker's 10 s.
process.once('SIGTERM', () => process.exit(0));

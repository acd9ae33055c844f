// The benchmark's second reference: a bare Node relay that answers its own
// greeting line and the one it gets from UPSTREAM (a bare hop) over a
// keep-alive pool of 32 connections, as service1 does, with none of its
// routing, request ids, deadline, retry, logs or metrics. It shows what two
// Node hops cost by themselves. PORT; HOST (default 0.0.0.0); UPSTREAM.
// No types: the benchmark runs it as JavaScript (see referenceScript in bench.ts).
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.env['UPSTREAM'] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
createServer((req, res) => {
  const { remoteAddress, remotePort, localAddress, localPort } = req.socket;
  const own = `Hello from ${remoteAddress}:${remotePort} to ${localAddress}:${localPort}\n`;
  const fail = () => {
    res.writeHead(502).end();
  };
  request(upstream, { agent }, (answer) => {
    let line = '';
    answer.setEncoding('utf8');
    answer.on('data', (chunk) => (line += chunk));
    answer.on('end', () => {
      const body = own + line;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    answer.on('error', fail);
  })
    .on('error', fail)
    .end();
}).listen(Number(process.env['PORT']), process.env['HOST'] || '0.0.0.0');

// As the services do: a container's SIGTERM ends it at once, not after Docker's 10 s.
process.once('SIGTERM', () => process.exit(0));

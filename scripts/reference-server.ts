// The benchmark's reference: one bare Node HTTP hop that answers a greeting
// line from its socket, with none of the services' routing, logging or checks.
import { createServer } from 'node:http';

const port = Number(process.env['PORT']);
createServer((req, res) => {
  const { remoteAddress, remotePort, localAddress, localPort } = req.socket;
  const body = `Hello from ${remoteAddress}:${remotePort} to ${localAddress}:${localPort}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, '127.0.0.1');

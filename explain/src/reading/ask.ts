// Asking service1 once, as `curl localhost:8001` does: each address of the
// host name in turn, and for localhost both 127.0.0.1 and ::1 whatever the
// resolver says, so that a port published on IPv4 only, on both families or
// on IPv6 only answers.
import { lookup } from 'node:dns/promises';
import { request } from 'node:http';
import { isIP } from 'node:net';
import type { Exchange } from '../types.ts';
import { ExplainError } from './engine-api.ts';

const ANSWER_WITHIN_MS = 10_000;

/** The addresses to try for `host`, in the resolver's order; localhost's loopbacks of both families as curl adds them. */
export async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  let found: string[] = [];
  try {
    found = (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (error) {
    if (host !== 'localhost') throw new ExplainError(`${host} cannot be looked up (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const loopbacks = host === 'localhost' ? ['127.0.0.1', '::1'] : [];
  return [...new Set([...found, ...loopbacks])];
}

/** What one address answered, or the code of why it did not. */
function askAddress(host: string, address: string, port: number): Promise<Omit<Exchange, 'refused'> | NodeJS.ErrnoException> {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${authority}/`;
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path: '/', agent: false, timeout: ANSWER_WITHIN_MS, headers: { host: authority } },
      (res) => {
        const { localAddress = '', localPort = 0, remoteAddress = '', remotePort = 0 } = res.socket;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            url,
            status: res.statusCode ?? 0,
            body,
            client: { address: localAddress, port: localPort },
            server: { address: remoteAddress, port: remotePort },
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${ANSWER_WITHIN_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error));
    req.end();
  });
}

/**
 * One GET of `host:port`, on a connection of its own, and both ends of that
 * connection: the first address that takes the connection answers; those
 * that refused it are kept, to say why the one used is of its family.
 */
export async function askOnce(host: string, port: number): Promise<Exchange> {
  const refused: string[] = [];
  let last: NodeJS.ErrnoException | undefined;
  for (const address of await addressesOf(host)) {
    const answer = await askAddress(host, address, port);
    if (!(answer instanceof Error)) return refused.length === 0 ? answer : { ...answer, refused };
    last = answer;
    if (answer.code !== 'ECONNREFUSED' && answer.code !== 'EADDRNOTAVAIL' && answer.code !== 'ENETUNREACH') break;
    refused.push(address);
  }
  // A reset most often means service1 is still starting: docker-proxy accepted, nothing listened behind it.
  throw new ExplainError(
    `http://${host}:${port}/ did not answer (${last?.code ?? last?.message ?? 'no address'}): is service1 still starting? The engine shows its health`,
  );
}

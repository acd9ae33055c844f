// The container's HEALTHCHECK: asks the server itself for /healthz, with
// nothing but Node, because the slim base image has no curl.
import { get } from 'node:http';
import { loadConfig } from './config.js';

const TIMEOUT_MS = 1_500;

const { port, host } = loadConfig();
// A server on every interface is reached on loopback.
const target = host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

const request = get({ host: target, port, path: '/healthz', timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  process.exitCode = res.statusCode === 200 ? 0 : 1;
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (error) => {
  process.stderr.write(`healthcheck: ${error.message}\n`);
  process.exitCode = 1;
});

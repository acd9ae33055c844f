// The Docker Engine API, as the docker CLI itself speaks it, over the
// engine's socket (or TCP) with node:http: no CLI, no package. Podman serves
// the same API on its own socket. Everything here only reads, but for exec,
// which runs a command in a container to read what it sees from inside.
import { request } from 'node:http';
import type { RequestOptions } from 'node:http';

/** A failure to tell the user in one line. */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
}

/**
 * The newest API version read here; an engine that speaks only older ones
 * is asked in its own. Docker 20.10 speaks 1.41, 28 up to 1.51; Podman 1.41.
 */
const NEWEST_VERSION = [1, 51] as const;

/** How long any one request may take. */
const REQUEST_TIMEOUT_MS = 20_000;

/** Where an engine answers: a unix socket (or Windows named pipe), or a TCP address. */
export type EngineAddress = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/**
 * The engine `DOCKER_HOST` names (`unix:///path`, `npipe:////./pipe/name`,
 * `tcp://host:port`); anything else (ssh://, TLS) is refused in one line.
 */
export function addressOf(dockerHost: string): EngineAddress {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('npipe://')) return { socketPath: dockerHost.slice('npipe://'.length).replaceAll('/', '\\') };
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(dockerHost);
  if (tcp !== null) return { host: (tcp[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port: Number(tcp[2]) };
  throw new ExplainError(`DOCKER_HOST must be unix://, npipe:// or tcp://host:port, got ${JSON.stringify(dockerHost)}`);
}

/** `GET /version`, the parts read here. */
export interface VersionJson {
  readonly Version?: string;
  readonly ApiVersion?: string;
  readonly Components?: ReadonlyArray<{ readonly Name: string; readonly Version: string }> | null;
}

/** One engine's API. */
export class EngineApi {
  /** Where it answers, in DOCKER_HOST's spelling, for messages. */
  readonly where: string;
  readonly #address: EngineAddress;
  #version: Promise<VersionJson> | undefined;
  #prefix: Promise<string> | undefined;

  constructor(where: string, address: EngineAddress = addressOf(where)) {
    this.where = where;
    this.#address = address;
  }

  /** GET a path of the API, at the version both speak, as JSON. */
  async get<T>(path: string): Promise<T> {
    return JSON.parse((await this.#send('GET', `${await this.#versioned()}${path}`)).toString('utf8')) as T;
  }

  /** GET a path of Podman's own API (`/libpod/…`), at the oldest version Podman 4 and 5 both speak, as JSON. */
  async getLibpod<T>(path: string): Promise<T> {
    return JSON.parse((await this.#send('GET', `/v4.0.0/libpod${path}`)).toString('utf8')) as T;
  }

  /** What `command` prints on stdout, run in a container (its stderr dropped). */
  async exec(container: string, command: readonly string[]): Promise<string> {
    const prefix = await this.#versioned();
    const body = { AttachStdout: true, AttachStderr: true, Cmd: command };
    const { Id } = JSON.parse((await this.#send('POST', `${prefix}/containers/${container}/exec`, body)).toString('utf8')) as {
      Id: string;
    };
    return stdoutOf(await this.#send('POST', `${prefix}/exec/${Id}/start`, { Detach: false, Tty: false }));
  }

  /** `GET /version`, unversioned, as every engine answers it; asked once. */
  version(): Promise<VersionJson> {
    this.#version ??= this.#send('GET', '/version').then((body) => JSON.parse(body.toString('utf8')) as VersionJson);
    return this.#version;
  }

  // The lower of the engine's version and NEWEST_VERSION, as the CLI negotiates it.
  #versioned(): Promise<string> {
    this.#prefix ??= this.version().then(({ ApiVersion = '1.41' }) => {
      const [major = 1, minor = 41] = ApiVersion.split('.').map(Number);
      const newer = major > NEWEST_VERSION[0] || (major === NEWEST_VERSION[0] && minor > NEWEST_VERSION[1]);
      return newer ? `/v${NEWEST_VERSION.join('.')}` : `/v${major}.${minor}`;
    });
    return this.#prefix;
  }

  // One request; the body of a 2xx answer, else an ExplainError with the engine's message.
  #send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Buffer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options: RequestOptions = {
      ...this.#address,
      method,
      path,
      timeout: REQUEST_TIMEOUT_MS,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    };
    return new Promise((resolve, reject) => {
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answer = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(answer);
          else reject(new ExplainError(`${method} ${path} failed: ${messageOf(answer.toString('utf8')) || `status ${status}`}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new ExplainError(`the engine at ${this.where} did not answer (${error.code ?? error.message})`)),
      );
      req.end(payload);
    });
  }
}

function messageOf(text: string): string {
  try {
    return String((JSON.parse(text) as { message?: unknown }).message ?? '');
  } catch {
    return text.trim().split('\n')[0] ?? '';
  }
}

/**
 * stdout of an exec's stream: frames of an 8-byte header (the stream, 1 for
 * stdout, 2 for stderr; then the length, big-endian, at byte 4) and that
 * many bytes.
 */
function stdoutOf(stream: Buffer): string {
  const out: Buffer[] = [];
  for (let at = 0; at + 8 <= stream.length; ) {
    const length = stream.readUInt32BE(at + 4);
    if (stream[at] === 1) out.push(stream.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return Buffer.concat(out).toString('utf8');
}

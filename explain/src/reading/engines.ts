// Which engine runs the stack. DOCKER_HOST, when set, names it, as it does for
// the docker CLI; else the CLI's current context; else each socket an engine
// is found on by default: Docker's, rootless Docker's, Docker Desktop's,
// Podman's (rootful, rootless). Podman with no socket listening is read
// through `podman system service` on a socket of this run's own, which exits
// with it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineApi, ExplainError } from './engine-api.ts';

/** The environment variables read here. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The docker CLI's current context's engine (`docker context use`), unless it is the default. */
function contextHost(env: Env): string | undefined {
  const config = env['DOCKER_CONFIG'] || join(homedir(), '.docker');
  let name = env['DOCKER_CONTEXT'];
  try {
    name ||= (JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
    if (name === undefined || name === '' || name === 'default') return undefined;
    const meta = join(config, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
    return (JSON.parse(readFileSync(meta, 'utf8')) as { Endpoints?: { docker?: { Host?: string } } }).Endpoints?.docker?.Host;
  } catch {
    return undefined;
  }
}

/** The engines to look for the stack on, in order. */
export function candidates(env: Env): string[] {
  if (env['DOCKER_HOST']) return [env['DOCKER_HOST']];
  const context = contextHost(env);
  if (context !== undefined) return [context];
  if (process.platform === 'win32') return ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/podman-machine-default'];
  const runtime = env['XDG_RUNTIME_DIR'] || `/run/user/${process.getuid?.() ?? 0}`;
  return [
    '/var/run/docker.sock',
    `${runtime}/docker.sock`,
    join(homedir(), '.docker/run/docker.sock'),
    '/run/podman/podman.sock',
    `${runtime}/podman/podman.sock`,
  ]
    .filter(existsSync)
    .map((path) => `unix://${path}`);
}

/** An engine found, and what to do once done with it. */
export interface Found {
  readonly api: EngineApi;
  readonly done: () => void;
}

/** A short-lived Podman API service on a socket of its own, where `podman` runs and no socket listens. */
async function podmanService(): Promise<Found | undefined> {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'explain-podman-'));
  } catch {
    // Nowhere to put a socket (a read-only container): no Podman to start either.
    return undefined;
  }
  const socket = join(dir, 'podman.sock');
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=10', `unix://${socket}`], { stdio: 'ignore' });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  const done = (): void => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  // The service makes its socket a moment after it starts.
  for (let waited = 0; started && waited < 10_000; waited += 100) {
    if (existsSync(socket)) return { api: new EngineApi(`unix://${socket}`), done };
    await sleep(100);
  }
  done();
  return undefined;
}

/** A running container, as `GET /containers/json` lists it. */
export interface Listed {
  readonly Id: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly Ports?: ReadonlyArray<{ readonly PublicPort?: number }> | null;
}

/** The engine on which a running container publishes a port, that container's id, and every running container there. */
export interface Publisher {
  readonly found: Found;
  readonly publisherId: string;
  readonly listed: readonly Listed[];
}

/** The engine on which a running container publishes `port`: the first such among the candidates. */
export async function findPublisher(port: number, env: Env): Promise<Publisher> {
  const asked: string[] = [];
  const tryEngine = async (found: Found): Promise<Publisher | undefined> => {
    try {
      const listed = await found.api.get<Listed[]>('/containers/json');
      asked.push(found.api.where);
      const publisherId = listed.find((container) => (container.Ports ?? []).some((binding) => binding.PublicPort === port))?.Id;
      return publisherId === undefined ? undefined : { found, publisherId, listed };
    } catch (error) {
      asked.push(`${found.api.where} (${(error as Error).message})`);
      return undefined;
    }
  };
  for (const where of candidates(env)) {
    const publisher = await tryEngine({ api: new EngineApi(where), done: () => {} });
    if (publisher !== undefined) return publisher;
  }
  if (!env['DOCKER_HOST']) {
    const podman = await podmanService();
    if (podman !== undefined) {
      const publisher = await tryEngine(podman);
      if (publisher !== undefined) return publisher;
      podman.done();
    }
  }
  const where = asked.length === 0 ? 'no engine found (set DOCKER_HOST to its socket)' : `asked ${asked.join(', ')}`;
  throw new ExplainError(`the stack is not up: no container publishes port ${port}; ${where}`);
}

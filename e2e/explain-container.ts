// explain as a reader with Docker and no Node.js runs it: in its container,
// through a Compose front end, as README.md writes the command.
import type { Explanation } from '@two-services/explain';
import { ROOT, run } from '../harness/docker.ts';
import type { ComposeCli } from '../harness/docker.ts';

/** The engine's socket for explain/compose.yaml's ENGINE_SOCKET: DOCKER_HOST's path, when it names a unix socket. */
export function engineSocket(dockerHost = process.env['DOCKER_HOST'] ?? ''): Readonly<Record<string, string>> {
  return dockerHost.startsWith('unix://') ? { ENGINE_SOCKET: dockerHost.slice('unix://'.length) } : {};
}

/**
 * Builds explain's image and runs it once, `--json`, under `cli`, against
 * the stack published on `port`; the explanation it printed. Front ends print
 * their own lines beside it: the JSON is the block from a line `{` to a line `}`.
 */
export async function explainInContainer(cli: ComposeCli, port: number, env: Readonly<Record<string, string>> = {}): Promise<Explanation> {
  const compose = [...cli.prefix, '-f', `${ROOT}explain/compose.yaml`];
  const settings = { SERVICE1_PORT: String(port), ...engineSocket(), ...env };
  await run(cli.file, [...compose, 'build', 'explain'], settings);
  const { stdout } = await run(cli.file, [...compose, 'run', '--rm', 'explain', '--json'], settings);
  // A front end that runs it on a terminal writes CRLF.
  const lines = stdout.replaceAll('\r', '').split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  if (start === -1 || end < start) throw new Error(`explain's container printed no explanation:\n${stdout}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as Explanation;
}

// npm run explain: asks the running stack (Compose or Swarm, on Docker or
// Podman) once, on SERVICE1_HOST:SERVICE1_PORT (localhost:8001 by default; on
// a swarm of several nodes, a node's address, with DOCKER_HOST on a manager),
// prints the two lines it got and what each address and port in them is on
// this machine, as the engine's API and the host's /proc tell it.
//
//   npm run explain                       aligned plain text
//   npm run explain -- --markdown         the same, as the section report.md holds, with its picture
//   npm run -s explain -- --json          the explanation as JSON, for the e2e tests' checker
//   npm run -s explain -- --record        the raw facts, as JSON: how test/fixtures were made
//   npm run explain -- --replay FILE      explain a recorded run instead of the live stack
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Recording } from './types.ts';
import { explainStack, publishedPort, serviceHost } from './index.ts';
import { explain } from './naming/explain.ts';
import { ExplainError } from './reading/engine-api.ts';
import { record } from './reading/record.ts';
import { markdown } from './writing/markdown.ts';
import { text } from './writing/text.ts';

/** A recording made by --record (or a fixture). */
function replay(file: string): Recording {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Recording;
  } catch (error) {
    throw new ExplainError(`cannot replay ${file}: ${(error as Error).message}`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      markdown: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      replay: { type: 'string' },
    },
  });
  if (values.record) {
    process.stdout.write(`${JSON.stringify(await record(publishedPort(), serviceHost()), null, 2)}\n`);
    return 0;
  }
  const explanation = values.replay === undefined ? await explainStack() : explain(replay(values.replay));
  process.stdout.write(
    values.json ? `${JSON.stringify(explanation, null, 2)}\n` : values.markdown ? markdown(explanation) : text(explanation),
  );
  const unknown = explanation.parts.filter((part) => part.role === 'unknown').map((part) => part.value);
  if (unknown.length === 0) return 0;
  process.stderr.write(`explain: no container or network here accounts for ${unknown.join(', ')}\n`);
  return 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // One clear line for what the user can act on; the whole story for a bug.
  process.stderr.write(
    error instanceof ExplainError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
      ? `explain: ${(error as Error).message}\n`
      : `${(error as Error).stack}\n`,
  );
  process.exitCode = 1;
}

// npm run test:unit: each package's node:test suites, one package at a time,
// with Node's own coverage of that package's sources by its own tests held to
// the floors below; a package under its floor fails the run, as a test does.
// Every test gets TEST_TIMEOUT_MS, and a file whose tests are done exits even
// if something it started would keep it alive: a broken behaviour fails a
// test, it never hangs the run.
//
//   npm run test:unit                     every package
//   npm run test:unit -- service1 explain some of them
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The least share, in percent, of a package's source lines, branches and functions that its tests run. */
interface Floor {
  readonly lines: number;
  readonly branches: number;
  readonly functions: number;
}

/** What the services run: the product. */
const PRODUCT: Floor = { lines: 95, branches: 90, functions: 95 };

/** The floors, by package (docs/testing.md). */
const FLOORS: Readonly<Record<string, Floor>> = {
  'service-kit': PRODUCT,
  service1: PRODUCT,
  service2: PRODUCT,
  // A tool that reads a live engine: what only a live engine answers is tested end to end (e2e/).
  explain: { lines: 90, branches: 0, functions: 0 },
  // The repository's own checks (the documents name what exists): no sources of their own to cover.
  tools: { lines: 0, branches: 0, functions: 0 },
};

/** Longer than any one test needs by far; a test past it has hung. */
const TEST_TIMEOUT_MS = 30_000;

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function testPackage(name: string, floor: Floor): boolean {
  const held = describe(floor);
  process.stdout.write(`\n-- ${name}: its tests${held === '' ? '' : `, and their coverage of ${name}/src (at least ${held})`}\n`);
  const { status } = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--test',
      '--test-reporter=spec',
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      '--test-force-exit',
      '--experimental-test-coverage',
      `--test-coverage-include=${name}/src/**`,
      `--test-coverage-lines=${floor.lines}`,
      `--test-coverage-branches=${floor.branches}`,
      `--test-coverage-functions=${floor.functions}`,
      `${name}/test/*.test.ts`,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return status === 0;
}

function describe(floor: Floor): string {
  return Object.entries(floor)
    .filter(([, percent]) => percent > 0)
    .map(([what, percent]) => `${percent} % of ${what}`)
    .join(', ');
}

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => FLOORS[name] === undefined);
if (unknown.length > 0) {
  process.stderr.write(`unit-tests: no package ${unknown.join(', ')}; the packages are ${Object.keys(FLOORS).join(', ')}\n`);
  process.exit(2);
}
const failed = Object.entries(FLOORS)
  .filter(([name]) => asked.length === 0 || asked.includes(name))
  .filter(([name, floor]) => !testPackage(name, floor))
  .map(([name]) => name);
if (failed.length > 0) {
  process.stderr.write(`\nunit-tests: failed in ${failed.join(', ')}\n`);
  process.exitCode = 1;
}

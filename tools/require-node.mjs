// Stops with one line when this Node.js is older than package.json's
// "engines" allow, before a command fails in a way that does not say why
// (Node before 22.18 cannot run the TypeScript sources). Plain JavaScript
// that any Node runs. `npm ci` checks the same field itself (.npmrc).
//
//   node tools/require-node.mjs
import { readFileSync } from 'node:fs';

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const least = /^>=(\d+)\.(\d+)$/.exec(range);
if (least === null) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", got ${JSON.stringify(range)}`);
const [major, minor] = process.versions.node.split('.').map(Number);
const [needMajor, needMinor] = [Number(least[1]), Number(least[2])];
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  process.stderr.write(
    `Node.js ${needMajor}.${needMinor} or later is needed (package.json engines: ${range}); this is Node.js ${process.versions.node}. ` +
      'Running the stack needs Docker alone: see README.md.\n',
  );
  process.exit(1);
}

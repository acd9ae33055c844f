// The documents name only what exists: every relative link (and the heading
// it points at), every repository path written as code, every `npm run`
// script, in README.md, report.md and docs/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = ['README.md', 'report.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith('.md'),
);
const SCRIPTS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
// The top-level folders and files a path written as code starts with.
const TOP = new Set(readdirSync(ROOT).filter((name) => !name.startsWith('.') || name === '.ci'));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replaceAll(' ', '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading = '']) => anchor(heading)));
}

/** A document's text without the fenced blocks that show output (console, text, json, mermaid). */
function prose(text: string): string {
  return text.replace(/```(console|text|json|mermaid)\n[\s\S]*?```/g, '');
}

/** What `text`, the document `file`, names that is not there. */
function missing(file: string, text: string): string[] {
  const out: string[] = [];
  for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [path = '', hash] = target.split('#');
    const resolved = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), path));
    if (!existsSync(join(ROOT, resolved))) out.push(`${file}: link to ${target}: no ${resolved}`);
    else if (hash !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash))
      out.push(`${file}: link to ${target}: no such heading`);
  }
  for (const [, code = ''] of text.matchAll(/`([^`\s]+)`/g)) {
    const path = code.replace(/[:,]$/, '');
    if (!/^[\w.-]+\/[\w./-]*$/.test(path) || !TOP.has(path.split('/')[0] ?? '')) continue;
    if (!existsSync(join(ROOT, path))) out.push(`${file}: names ${path}, which is not in the repository`);
  }
  for (const [, script = ''] of text.matchAll(/npm run(?: -s)? ([\w:]+)/g)) {
    if (!SCRIPTS.includes(script)) out.push(`${file}: names npm run ${script}, which package.json does not have`);
  }
  return out;
}

describe('the documents', () => {
  for (const file of DOCS) {
    it(`${file} names only files, headings and npm scripts that exist`, () => {
      assert.deepEqual(missing(file, prose(readFileSync(join(ROOT, file), 'utf8'))), []);
    });
  }

  it('notices a path, a link, a heading and a script that are gone', () => {
    const text = ['`service1/src/gone.ts`', '[a link](gone.md)', '[a heading](../report.md#no-such-heading)', '`npm run gone`'].join('\n');
    assert.deepEqual(missing('docs/probe.md', text), [
      'docs/probe.md: link to gone.md: no docs/gone.md',
      'docs/probe.md: link to ../report.md#no-such-heading: no such heading',
      'docs/probe.md: names service1/src/gone.ts, which is not in the repository',
      'docs/probe.md: names npm run gone, which package.json does not have',
    ]);
  });
});

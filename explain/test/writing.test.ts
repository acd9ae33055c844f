import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { explain } from '../src/naming/explain.ts';
import { markdown } from '../src/writing/markdown.ts';
import { picture } from '../src/writing/picture.ts';
import { text } from '../src/writing/text.ts';
import { recorded } from './fixtures.ts';

const REPORT = fileURLToPath(new URL('../../report.md', import.meta.url));
const SWARM = fileURLToPath(new URL('../../docs/swarm.md', import.meta.url));

describe('what npm run explain prints', () => {
  it('prints the answer, then every address and port in one aligned column with what it is', () => {
    const explanation = explain(recorded('swarm.json'));
    const lines = text(explanation).split('\n');
    assert.equal(lines[0], 'GET http://localhost:28001/ from 127.0.0.1:54590: 200');
    assert.deepEqual(
      lines.slice(1, 3),
      explanation.lines.map((line) => `  ${line}`),
    );
    const rows = [...explanation.parts.map((p) => [p.value, p.text]), ...explanation.absent.map((n) => [n.subject, n.text])];
    const columns = new Set<number>();
    for (const [subject = '', words = ''] of rows) {
      const row = lines.find((line) => line.startsWith(`  ${subject} `));
      assert.ok(row, `no row for ${subject}`);
      const first = words.split(' ')[0] ?? '';
      columns.add(row.indexOf(first, 2 + subject.length));
    }
    assert.equal(columns.size, 1, 'every explanation starts in the same column');
    assert.ok(
      lines.every((line) => line.length <= 100),
      'no line is wider than 100 characters',
    );
  });

  it('prints the same words as a Markdown section with --markdown', () => {
    const explanation = explain(recorded('compose-v1.json'));
    const section = markdown(explanation);
    assert.ok(section.includes(`\`\`\`text\n${explanation.lines.join('\n')}\n\`\`\``));
    for (const p of explanation.parts) assert.ok(section.includes(`| \`${p.value}\` | ${p.text} |`), p.value);
    for (const note of explanation.absent) assert.ok(section.includes(`| \`${note.subject}\` | ${note.text} |`), note.subject);
    assert.ok(section.includes(explanation.why));
    assert.ok(section.includes(picture(explanation)));
  });

  it('draws the three connections of the answer, each with the addresses and ports the table names', () => {
    const explanation = explain(recorded('compose-v2.json'));
    const drawn = picture(explanation);
    assert.match(drawn, /^```mermaid\nflowchart LR\n[\s\S]*\n```$/);
    assert.ok(drawn.includes('client -- "TCP 1: 127.0.0.1:53370 → 127.0.0.1:28001" --> forward'));
    assert.ok(drawn.includes('forward -- "TCP 2, line 1: 172.29.0.1:39490 → 172.29.0.2:8001" --> s1front'));
    assert.ok(drawn.includes('s1back -- "TCP 3, line 2: 172.30.0.3:35292 → 172.30.0.2:8002" --> s2'));
    assert.ok(drawn.includes('subgraph front["two-services_frontend · bridge, 172.29.0.0/16 · gateway 172.29.0.1"]'));
    assert.ok(drawn.includes('subgraph back["two-services_backend · bridge, internal, 172.30.0.0/16"]'));
    assert.ok(drawn.includes(`forward["docker-proxy<br/>the host's port 28001"]`));
    assert.ok(drawn.includes('s1front["service1 · eth0<br/>172.29.0.2:8001"]'));
    assert.ok(drawn.includes('s2["service2 · eth0<br/>172.30.0.2:8002"]'));
  });

  it('report.md and docs/swarm.md hold, between their markers, exactly what --markdown makes of the runs they name', () => {
    const sections = [REPORT, SWARM].flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/<!-- explain:begin (\S+) -->\n([\s\S]*?)<!-- explain:end -->/g)].map(
        ([, fixture = '', section]) => ({
          file,
          fixture,
          section,
        }),
      ),
    );
    assert.deepEqual(
      sections.map(({ fixture }) => fixture),
      ['docker-28.json', 'swarm.json'],
    );
    for (const { file, fixture, section } of sections) {
      assert.equal(
        section,
        markdown(explain(recorded(fixture))),
        `${file}'s ${fixture} section: regenerate it with node explain/src/main.ts --markdown --replay explain/test/fixtures/${fixture}`,
      );
    }
  });
});

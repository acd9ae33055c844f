// The explanation as a Markdown section, what report.md holds between its
// markers: the answer, a picture of the three connections, a table of what
// each address and port is, and why line 1 starts where it does.
import type { Explanation } from '../types.ts';
import { endpoint } from '../naming/networks.ts';
import { picture } from './picture.ts';
import { partsOf } from './text.ts';

function cell(words: string): string {
  return words.replaceAll('|', '\\|');
}

/** The section: with `withPicture`, the mermaid picture after the answer. */
export function markdown(explanation: Explanation, withPicture = true): string {
  const { url, client, status } = explanation.ask;
  const out = [
    `Asked once: \`GET ${url}\` from \`${endpoint(client.address, client.port)}\`, answered \`${status}\`:`,
    '',
    '```text',
    ...explanation.lines,
    '```',
    '',
    ...(explanation.where === '' ? [] : [explanation.where, '']),
    explanation.summary,
    '',
    ...(withPicture ? [picture(explanation), ''] : []),
    '| In the answer | What it is on this machine |',
    '| --- | --- |',
  ];
  explanation.headings.forEach((heading, index) => {
    out.push(`| **Line ${index + 1}** | ${cell(heading)} |`);
    for (const part of partsOf(explanation, index === 0 ? 1 : 2)) out.push(`| \`${part.value}\` | ${cell(part.text)} |`);
  });
  out.push('| **Not in the answer** | |');
  for (const note of explanation.absent) out.push(`| \`${note.subject}\` | ${cell(note.text)} |`);
  if (explanation.families.length > 0) out.push('', ...explanation.families.map((family) => `- ${family}`));
  out.push('', explanation.why);
  return `${out.join('\n')}\n`;
}

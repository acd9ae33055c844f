// The explanation as people read it: aligned plain text for a terminal, or the
// same words as a Markdown section (what report.md holds between its markers).
import type { Explanation, Part } from './facts.ts';
import { endpoint } from './words.ts';

const WIDTH = 100;

/** Breaks a paragraph into lines of at most `width` characters, each starting with `indent`. */
function wrap(paragraph: string, indent = '', width = WIDTH): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(indent + line);
  return out;
}

function byLine(explanation: Explanation, line: 1 | 2): Part[] {
  return explanation.parts.filter((part) => part.line === line);
}

function asked(explanation: Explanation): string {
  const { url, client, status } = explanation.ask;
  return `GET ${url} from ${endpoint(client.address, client.port)}: ${status}`;
}

/** Plain text, one row per address or port, the explanations aligned. */
export function text(explanation: Explanation): string {
  const subjects = [...explanation.parts.map((part) => part.value), ...explanation.absent.map((note) => note.subject)];
  const width = Math.max(...subjects.map((subject) => subject.length)) + 2;
  const row = (subject: string, words: string): string[] => {
    const [head = '', ...rest] = wrap(words, '', WIDTH - 2 - width);
    return [`  ${subject.padEnd(width)}${head}`, ...rest.map((line) => `  ${' '.repeat(width)}${line}`)];
  };
  const out = [asked(explanation), ...explanation.lines.map((line) => `  ${line}`), '', ...wrap(explanation.summary), ''];
  explanation.headings.forEach((heading, index) => {
    out.push(`Line ${index + 1}, ${heading}:`);
    for (const part of byLine(explanation, index === 0 ? 1 : 2)) out.push(...row(part.value, part.text));
  });
  out.push('Not in the answer:');
  for (const note of explanation.absent) out.push(...row(note.subject, note.text));
  out.push('', ...wrap(explanation.why));
  return `${out.join('\n')}\n`;
}

function cell(words: string): string {
  return words.replaceAll('|', '\\|');
}

/** The same, as a Markdown section: the answer, a table of what each address and port is, and why. */
export function markdown(explanation: Explanation): string {
  const { url, client, status } = explanation.ask;
  const out = [
    `Asked once: \`GET ${url}\` from \`${endpoint(client.address, client.port)}\`, answered \`${status}\`:`,
    '',
    '```text',
    ...explanation.lines,
    '```',
    '',
    explanation.summary,
    '',
    '| In the answer | What it is on this machine |',
    '| --- | --- |',
  ];
  explanation.headings.forEach((heading, index) => {
    out.push(`| **Line ${index + 1}** | ${cell(heading)} |`);
    for (const part of byLine(explanation, index === 0 ? 1 : 2)) out.push(`| \`${part.value}\` | ${cell(part.text)} |`);
  });
  out.push('| **Not in the answer** | |');
  for (const note of explanation.absent) out.push(`| \`${note.subject}\` | ${cell(note.text)} |`);
  out.push('', explanation.why);
  return `${out.join('\n')}\n`;
}

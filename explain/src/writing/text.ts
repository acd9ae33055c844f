// The explanation as a terminal shows it: the answer, then one row per
// address and port, the explanations aligned in a column.
import type { Explanation, Part } from '../types.ts';
import { endpoint } from '../naming/networks.ts';

const WIDTH = 100;

/** Breaks a paragraph into lines of at most `width` characters, each starting with `indent`. */
export function wrap(paragraph: string, indent = '', width = WIDTH): string[] {
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

/** The parts of one line of the answer. */
export function partsOf(explanation: Explanation, line: 1 | 2): Part[] {
  return explanation.parts.filter((part) => part.line === line);
}

/** Plain text, one row per address or port, the explanations aligned. */
export function text(explanation: Explanation): string {
  const { url, client, status } = explanation.ask;
  const subjects = [...explanation.parts.map((part) => part.value), ...explanation.absent.map((note) => note.subject)];
  const width = Math.max(...subjects.map((subject) => subject.length)) + 2;
  const row = (subject: string, words: string): string[] => {
    const [head = '', ...rest] = wrap(words, '', WIDTH - 2 - width);
    return [`  ${subject.padEnd(width)}${head}`, ...rest.map((line) => `  ${' '.repeat(width)}${line}`)];
  };
  const out = [`GET ${url} from ${endpoint(client.address, client.port)}: ${status}`, ...explanation.lines.map((line) => `  ${line}`), ''];
  if (explanation.where !== '') out.push(...wrap(explanation.where), '');
  out.push(...wrap(explanation.summary), '');
  explanation.headings.forEach((heading, index) => {
    out.push(`Line ${index + 1}, ${heading}:`);
    for (const part of partsOf(explanation, index === 0 ? 1 : 2)) out.push(...row(part.value, part.text));
  });
  out.push('Not in the answer:');
  for (const note of explanation.absent) out.push(...row(note.subject, note.text));
  if (explanation.families.length > 0) {
    out.push('Address families:');
    for (const family of explanation.families)
      out.push(...wrap(family, '    ', WIDTH).map((line, i) => (i === 0 ? `  - ${line.trimStart()}` : line)));
  }
  out.push('', ...wrap(explanation.why));
  return `${out.join('\n')}\n`;
}

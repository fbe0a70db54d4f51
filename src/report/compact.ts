import type { Finding } from '../types.js';
import { printable, printableText } from './printable.js';
import { contextLines, location, totalsLine, verdictLine } from './words.js';
import type { Writer } from './writer.js';

/**
 * One line per finding, as compilers and linters print them (`path:line:col: severity rule: message`), then
 * notes, waivers and disabled rules, then the totals and the verdict. Written as each system is judged, every
 * string made printable.
 */
export function compactWriter(): Writer {
  const line = (f: Finding) =>
    `${location(f) || '.'}: ${f.severity} ${f.rule}: ${f.message}${f.system ? ` [${f.system}]` : ''}${f.waiver ? ' (waived)' : ''}\n`;
  return {
    head: () => [],
    system: ({ findings }) => findings.map((f) => line(printable(f))),
    tail: (tail) => [
      `${[...contextLines(tail), totalsLine(tail), verdictLine(tail)].map(printableText).join('\n')}\n`,
    ],
  };
}

import type { Finding, Severity } from '../types.js';
import { printable, printableText } from './printable.js';
import { contextLines, totalsLine, verdictLine } from './words.js';
import type { Writer } from './writer.js';

const COMMAND: Record<Severity, string> = { major: 'error', minor: 'warning', observation: 'notice' };

/**
 * GitHub Actions workflow commands, one per open finding: the runner shows each as an annotation on its file
 * and line. A message or property is escaped as the runner expects (`%`, CR, LF; and `:` `,` in properties),
 * so a finding's text can end no command and start none. Written as each system is judged.
 */
export function githubWriter(): Writer {
  const command = (f: Finding) => {
    const properties = [
      ...(f.path ? [`file=${property(f.path)}`] : []),
      ...(f.line ? [`line=${f.line}`] : []),
      ...(f.column ? [`col=${f.column}`] : []),
      `title=${property(`${f.rule}${f.system ? ` (${f.system})` : ''}`)}`,
    ];
    return `::${COMMAND[f.severity]} ${properties.join(',')}::${data(`${f.message}. Fix: ${f.remedy}`)}\n`;
  };
  return {
    head: () => [],
    system: ({ findings }) => findings.filter((f) => !f.waiver).map((f) => command(printable(f))),
    // Notes, waivers and disabled rules are plain lines of the log, escaped: none can start a command.
    tail: (tail) => [
      `${[...contextLines(tail), totalsLine(tail), verdictLine(tail)]
        .map((line) => data(printableText(line)))
        .join('\n')}\n`,
    ],
  };
}

const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

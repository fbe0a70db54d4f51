import type { Evaluation, Severity } from '../types.js';
import { contextLines, totalsLine, verdictLine } from './words.js';

const COMMAND: Record<Severity, string> = { major: 'error', minor: 'warning', observation: 'notice' };

/**
 * GitHub Actions workflow commands, one per open finding: the runner shows each as an annotation on its file
 * and line. A message or property is escaped as the runner expects (`%`, CR, LF; and `:` `,` in properties),
 * so a finding's text can end no command and start none.
 */
export function renderGithub(evaluation: Evaluation): string {
  const lines = evaluation.findings
    .filter((f) => !f.waiver)
    .map((f) => {
      const properties = [
        ...(f.path ? [`file=${property(f.path)}`] : []),
        ...(f.line ? [`line=${f.line}`] : []),
        ...(f.column ? [`col=${f.column}`] : []),
        `title=${property(`${f.rule}${f.system ? ` (${f.system})` : ''}`)}`,
      ];
      return `::${COMMAND[f.severity]} ${properties.join(',')}::${data(`${f.message}. Fix: ${f.remedy}`)}`;
    });
  // Notes, waivers and disabled rules are plain lines of the log, escaped: none can start a command.
  const plain = [...contextLines(evaluation), totalsLine(evaluation), verdictLine(evaluation)].map(data);
  return `${[...lines, ...plain].join('\n')}\n`;
}

const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

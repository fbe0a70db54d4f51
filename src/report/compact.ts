import type { Evaluation } from '../types.js';
import { location, totalsLine, verdictLine } from './words.js';

/** One line per finding, as compilers and linters print them (`path:line:col: severity rule: message`), then totals. */
export function renderCompact(evaluation: Evaluation): string {
  const lines = evaluation.findings.map(
    (f) =>
      `${location(f) || '.'}: ${f.severity} ${f.rule}: ${f.message}${f.system ? ` [${f.system}]` : ''}${f.waiver ? ' (waived)' : ''}`,
  );
  return `${[...lines, totalsLine(evaluation), verdictLine(evaluation)].join('\n')}\n`;
}

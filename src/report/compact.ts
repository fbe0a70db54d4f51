import type { Evaluation } from '../types.js';
import { contextLines, location, totalsLine, verdictLine } from './words.js';

/**
 * One line per finding, as compilers and linters print them (`path:line:col: severity rule: message`), then
 * notes, waivers and disabled rules, then the totals and the verdict.
 */
export function renderCompact(evaluation: Evaluation): string {
  const lines = evaluation.findings.map(
    (f) =>
      `${location(f) || '.'}: ${f.severity} ${f.rule}: ${f.message}${f.system ? ` [${f.system}]` : ''}${f.waiver ? ' (waived)' : ''}`,
  );
  return `${[...lines, ...contextLines(evaluation), totalsLine(evaluation), verdictLine(evaluation)].join('\n')}\n`;
}

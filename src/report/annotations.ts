import type { Evaluation, Severity } from '../types.js';
import { openFindings, SEVERITY_WORDS } from './words.js';

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

const LEVEL: Record<Severity, Annotation['level']> = {
  major: 'error',
  minor: 'warning',
  observation: 'notice',
};

/**
 * Findings as annotations on files, most severe first. A runner shows only 10 of each level per step, so
 * the rest are counted for a pointer to the job summary instead of being dropped silently.
 */
export function annotationsOf(
  evaluation: Evaluation,
  perLevel = 10,
): { shown: Annotation[]; hidden: number } {
  const counts = { error: 0, warning: 0, notice: 0 };
  const shown: Annotation[] = [];
  let hidden = 0;
  const order: Severity[] = ['major', 'minor', 'observation'];
  const open = openFindings(evaluation).sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  for (const f of open) {
    const level = LEVEL[f.severity];
    if (counts[level]++ >= perLevel) {
      hidden++;
      continue;
    }
    shown.push({
      level,
      title: `${SEVERITY_WORDS[f.severity]}: ${f.rule}${f.controls.length ? ` (${f.controls.join(', ')})` : ''}`,
      message: `${f.message}. Fix: ${f.remedy}`,
      ...(f.path ? { file: f.path } : {}),
      ...(f.line ? { line: f.line } : {}),
      ...(f.column ? { column: f.column } : {}),
    });
  }
  return { shown, hidden };
}

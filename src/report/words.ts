import type { ControlStatus, Evaluation, Finding, Severity } from '../types.js';

/** The words every output uses, so a terminal, a PR comment and a report say the same thing. */
export const SEVERITY_WORDS: Record<Severity, string> = {
  major: 'major nonconformity',
  minor: 'minor nonconformity',
  observation: 'observation',
};

export const CONTROL_STATUS_WORDS: Record<ControlStatus, string> = {
  conformant: 'conformant',
  observation: 'observation',
  minor: 'minor nonconformity',
  major: 'major nonconformity',
  'not-evaluated': 'not evaluated',
};

export function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}

export function location(f: Finding): string {
  return f.path ? `${f.path}${f.line ? `:${f.line}` : ''}${f.line && f.column ? `:${f.column}` : ''}` : '';
}

export function openFindings(evaluation: Evaluation): Finding[] {
  return evaluation.findings.filter((f) => !f.waiver);
}

/** Open findings by severity, and how many are waived. */
export function findingCounts(evaluation: Evaluation): Record<Severity | 'waived', number> {
  const counts = { major: 0, minor: 0, observation: 0, waived: 0 };
  for (const f of evaluation.findings) counts[f.waiver ? 'waived' : f.severity]++;
  return counts;
}

export function verdictLine(evaluation: Evaluation): string {
  const counts = findingCounts(evaluation);
  const parts = (['major', 'minor', 'observation'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => plural(counts[s], SEVERITY_WORDS[s]));
  const summary = parts.length ? parts.join(', ') : 'no findings';
  return evaluation.verdict === 'pass'
    ? `PASS: ${summary} (fails on: ${evaluation.failOn})`
    : `FAIL: ${summary} (fails on: ${evaluation.failOn})`;
}

export function controlCounts(evaluation: Evaluation): string {
  const order: ControlStatus[] = ['conformant', 'observation', 'minor', 'major', 'not-evaluated'];
  return order
    .map((status) => [status, evaluation.controls.filter((c) => c.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) =>
      status === 'not-evaluated' || status === 'conformant'
        ? `${n} ${CONTROL_STATUS_WORDS[status]}`
        : plural(n, CONTROL_STATUS_WORDS[status]),
    )
    .join(', ');
}

/** Findings by system, in evaluation order (Map.groupBy needs Node 21). */
export function bySystem(findings: Finding[]): Map<string | undefined, Finding[]> {
  const groups = new Map<string | undefined, Finding[]>();
  for (const f of findings) groups.set(f.system, [...(groups.get(f.system) ?? []), f]);
  return groups;
}

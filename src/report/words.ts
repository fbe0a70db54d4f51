import { groupBy } from '../group.js';
import { tallyOf } from '../stream.js';
import type {
  ControlStatus,
  Evaluation,
  EvaluationTail,
  Finding,
  ImportSummary,
  Severity,
  Tally,
} from '../types.js';

/** An evaluation's closing facts: a whole evaluation, or the tail of one written as it was made. */
export type Closing = Evaluation | EvaluationTail;

function tallied(evaluation: Closing): Tally {
  return 'tally' in evaluation ? evaluation.tally : tallyOf(evaluation);
}

/** The words every output uses, so a terminal, a PR comment and a report say the same thing. */
export const SEVERITY_WORDS: Record<Severity, string> = {
  major: 'major nonconformity',
  minor: 'minor nonconformity',
  observation: 'observation',
};

export const CONTROL_STATUS_WORDS: Record<ControlStatus, string> = {
  conformant: 'conformant',
  documented: 'documented',
  observation: 'observation',
  minor: 'minor nonconformity',
  major: 'major nonconformity',
  'not-evaluated': 'not evaluated',
};

export function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : /[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}

export function location(f: Finding): string {
  return f.path ? `${f.path}${f.line ? `:${f.line}` : ''}${f.line && f.column ? `:${f.column}` : ''}` : '';
}

export function openFindings(evaluation: Evaluation): Finding[] {
  return evaluation.findings.filter((f) => !f.waiver);
}

/** Open findings by severity, and how many are waived. */
export function findingCounts(evaluation: Closing): Record<Severity | 'waived', number> {
  const { open, waived } = tallied(evaluation);
  return { ...open, waived };
}

/**
 * The verdict counts findings, and `controlCounts` counts controls: different things, so never the same
 * words (a control with three minor findings is one control, and "8 minor nonconformities" beside "9 minor
 * nonconformities" read as a contradiction). "Nonconformity" is left to the register, which tracks them.
 */
export function verdictLine(evaluation: Closing): string {
  const counts = findingCounts(evaluation);
  // Open (unwaived) findings by severity; the totals line counts them all, waived ones included.
  const parts = (['major', 'minor', 'observation'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => (s === 'observation' ? plural(counts[s], 'observation') : `${counts[s]} ${s}`));
  const summary = parts.length ? `findings: ${parts.join(', ')}` : 'no findings';
  return `${evaluation.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${summary} (fails on: ${evaluation.failOn})`;
}

/** Controls by their worst open finding: "2 conformant, 13 documented, 8 with minor findings, 12 not evaluated". */
export function controlCounts(evaluation: Closing): string {
  const words: Record<ControlStatus, string> = {
    conformant: 'conformant',
    documented: 'documented',
    observation: 'with observations',
    minor: 'with minor findings',
    major: 'with major findings',
    'not-evaluated': 'not evaluated',
  };
  const order: ControlStatus[] = [
    'conformant',
    'documented',
    'observation',
    'minor',
    'major',
    'not-evaluated',
  ];
  return order
    .map((status) => [status, evaluation.controls.filter((c) => c.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${words[status]}`)
    .join(', ');
}

/** Findings by system, in evaluation order. */
export function bySystem(findings: Finding[]): Map<string | undefined, Finding[]> {
  return groupBy(findings, (f) => f.system);
}

/**
 * What ran, as conftest counts it: rule checks (a rule on a system), how many passed, failed (an open finding
 * of the rule on the system; waived ones pass), or were skipped (a document they read cannot be read: they did
 * not look, so they did not pass), findings, waivers.
 */
export function totals(evaluation: Closing) {
  const { systems, checks, failed, skipped, findings, waived } = tallied(evaluation);
  return {
    rules: evaluation.rules.length,
    systems,
    checks,
    passed: Math.max(0, checks - failed - skipped),
    failed,
    skipped,
    findings,
    waived,
  };
}

/** What the policy set aside, said in every format: each waiver (applied, expired, unused) and disabled rule. */
export function setAsideLines(evaluation: Closing): { waivers: string[]; disabled: string[] } {
  return {
    waivers: evaluation.waivers.map(
      (w) =>
        `Waiver ${w.rule} for ${w.system}: ${w.status}${w.status === 'applied' ? ` to ${plural(w.findings, 'finding')}` : ''} (expires ${w.expires}, approved by ${w.approver})`,
    ),
    disabled: evaluation.disabled.map((d) => `Rule ${d.id} is disabled: ${d.reason}`),
  };
}

/** Notes, waivers and disabled rules, as lines of plain text for the one-line-per-finding formats. */
export function contextLines(evaluation: Closing): string[] {
  const { waivers, disabled } = setAsideLines(evaluation);
  return [...evaluation.notices.map((notice) => `note: ${notice}`), ...waivers, ...disabled];
}

export function totalsLine(evaluation: Closing): string {
  const t = totals(evaluation);
  return `${plural(t.checks, 'check')} (${plural(t.rules, 'rule')} on ${plural(t.systems, 'AI system')}): ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped (a document they read cannot be read)` : ''}; ${plural(t.findings, 'finding')}, ${t.waived} waived`;
}

/** An imported document in one sentence: its format, its answers, and every field that could not be mapped. */
export function importSentence(imp: ImportSummary): string {
  const answers = imp.questions ? `; ${imp.answered} of ${imp.questions} questions answered` : '';
  const unmapped = imp.unmapped.length ? `; not mapped: ${imp.unmapped.join(', ')}` : '; every field mapped';
  return `read as ${imp.format}${answers}${unmapped}`;
}

/** Where a mapped field came from: the original field and its line. */
export function importOrigin(row: ImportSummary['mapped'][number]): string {
  return `${row.from}${row.line !== undefined ? ` (line ${row.line})` : ''}`;
}

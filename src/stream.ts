import { groupBy } from './group.js';
import type {
  Evaluation,
  EvaluationStream,
  EvaluationTail,
  Finding,
  SystemResult,
  SystemSummary,
  Tally,
} from './types.js';

/**
 * An evaluation made system by system (`evaluateStream`) and the whole of one (`Evaluation`) are two views of the
 * same thing: the outputs of `check` take the stream, so that 25,000 systems are written as they are judged;
 * the Action, the App and the reports take the whole, which these turn one into the other.
 */

export function emptyTally(): Tally {
  return {
    systems: 0,
    findings: 0,
    open: { major: 0, minor: 0, observation: 0 },
    waived: 0,
    checks: 0,
    failed: 0,
    skipped: 0,
  };
}

/** Counts one system's result into the tally: a rule with an open finding on a system is one failed check. */
export function addToTally(tally: Tally, { summary, findings }: SystemResult): void {
  const failing = new Set<string>();
  for (const f of findings) {
    tally.findings++;
    if (f.waiver) tally.waived++;
    else {
      tally.open[f.severity]++;
      if (summary) failing.add(f.rule);
    }
  }
  if (!summary) return;
  tally.systems++;
  tally.checks += summary.checks;
  tally.skipped += summary.skipped;
  tally.failed += failing.size;
}

/** Each system with its findings, in the evaluation's order, then the findings outside any system. */
export function* resultsOf(evaluation: Pick<Evaluation, 'systems' | 'findings'>): Generator<SystemResult> {
  const bySystem = groupBy(evaluation.findings, (f) => f.system);
  for (const summary of evaluation.systems) yield { summary, findings: bySystem.get(summary.id) ?? [] };
  const loose = bySystem.get(undefined);
  if (loose?.length) yield { findings: loose };
}

export function tallyOf(evaluation: Pick<Evaluation, 'systems' | 'findings'>): Tally {
  const tally = emptyTally();
  for (const result of resultsOf(evaluation)) addToTally(tally, result);
  return tally;
}

/** A whole evaluation as a stream, for the formats that write one as it is made. */
export function streamOf(evaluation: Evaluation): EvaluationStream {
  const {
    verdict,
    failOn,
    today,
    policy,
    statement,
    rules,
    changedSystems,
    controls,
    waivers,
    notices,
    disabled,
  } = evaluation;
  return {
    head: {
      failOn,
      today,
      policy,
      statement,
      ...(changedSystems ? { changedSystems } : {}),
      systems: evaluation.systems.length,
      ruleIds: rules.map((r) => r.id),
    },
    results: resultsOf(evaluation),
    tail: () => ({
      verdict,
      failOn,
      rules,
      controls,
      waivers,
      notices,
      disabled,
      tally: tallyOf(evaluation),
    }),
  };
}

/** The stream taken whole: every system and finding, in the stream's order. */
export async function collectEvaluation(stream: EvaluationStream): Promise<Evaluation> {
  const systems: SystemSummary[] = [];
  const findings: Finding[] = [];
  for await (const { summary, findings: own } of stream.results) {
    if (summary) systems.push(summary);
    for (const f of own) findings.push(f);
  }
  const { tally: _, ...tail }: EvaluationTail = stream.tail();
  const { changedSystems, ...head } = stream.head;
  return {
    verdict: tail.verdict,
    failOn: tail.failOn,
    today: head.today,
    policy: head.policy,
    statement: head.statement,
    // A rule's appliedTo is listed each time the stream's tail is read (evaluateStream): here, once.
    rules: tail.rules.map((rule) => ({ ...rule })),
    systems,
    ...(changedSystems ? { changedSystems } : {}),
    findings,
    controls: tail.controls,
    waivers: tail.waivers,
    notices: tail.notices,
    disabled: tail.disabled,
  };
}

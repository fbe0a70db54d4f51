import canonicalize from 'canonicalize';
import { blocks } from '../evaluate.js';
import { nonconformityKey } from '../fingerprint.js';
import type { Evaluation, Severity } from '../types.js';
import { SEVERITIES } from '../types.js';
import { type Actor, type Details, type EventDraft, type Subject, sha256 } from './entry.js';

/**
 * The "evaluated" event of each AI system a check looked at: its verdict, finding counts, a digest of its
 * findings (so a later report can prove what was found), and the documents' digests as evidence.
 */
export function evaluationEvents(
  evaluation: Evaluation,
  context: {
    time: string;
    actor: Actor;
    subject: Subject;
    /** What was made of the evaluation and kept beside its entries (the App's BOM of a pull request), by digest. */
    attached?: Details;
  },
): EventDraft[] {
  return evaluation.systems.map((system) => {
    const findings = evaluation.findings
      .filter((f) => f.system === system.id)
      .map(({ rule, severity, path, line, message, waiver }) => ({
        rule,
        severity,
        path,
        line,
        message,
        waived: Boolean(waiver),
      }));
    const blocking = findings.some((f) => !f.waived && blocks(f.severity, evaluation.failOn));
    return {
      type: 'evaluated',
      time: context.time,
      actor: context.actor,
      subject: { ...context.subject, system: system.id },
      details: {
        verdict: blocking ? 'fail' : 'pass',
        policy: evaluation.policy.id,
        tier: system.tier ?? null,
        status: system.status ?? null,
        version: system.version ?? null,
        // Who owns the system by its governance facts: the owner of the nonconformities its findings open.
        owner: system.owner ?? null,
        findings: { ...system.counts, waived: system.waived },
        findingsDigest: sha256(canonicalize(findings) as string),
        ...nonconformityFacts(evaluation, system.id),
        waivers: evaluation.waivers
          .filter((w) => w.system === system.id || w.system === system.path)
          .map((w) => `${w.rule} ${w.status} until ${w.expires}`),
        ...context.attached,
      },
      evidence: system.evidence,
    };
  });
}

/**
 * What the nonconformity register reads from an evaluation: each rule not met, once per document at its most
 * severe, as "KEY SEVERITY RULE" (`open`), the keys only waivers keep from being open (`waived`), and the rules
 * the configuration disables (`disabled`): so that a closure can say whether something was fixed, waived, or
 * no longer checked.
 */
function nonconformityFacts(evaluation: Evaluation, system: string): Details {
  const open = new Map<string, { severity: Severity; rule: string }>();
  const waived = new Set<string>();
  for (const f of evaluation.findings) {
    if (f.system !== system) continue;
    const key = nonconformityKey(f);
    if (f.waiver) {
      waived.add(key);
      continue;
    }
    const known = open.get(key);
    if (!known || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(known.severity))
      open.set(key, { severity: f.severity, rule: f.rule });
  }
  return {
    open: [...open].map(([key, f]) => `${key} ${f.severity} ${f.rule}`),
    waived: [...waived].filter((key) => !open.has(key)),
    disabled: evaluation.disabled.map((d) => d.id),
  };
}

/** A deployment gate's decision, as the log keeps it: who asked, for which commit and environment, and why. */
export function deploymentEvent(
  decision: Details & { approved: boolean; reason: string },
  context: { time: string; actor: Actor; subject: Subject },
): EventDraft {
  const { approved, reason, ...details } = decision;
  return {
    type: approved ? 'deployment.approved' : 'deployment.rejected',
    time: context.time,
    actor: context.actor,
    subject: context.subject,
    details: { reason, ...details },
    evidence: [],
  };
}

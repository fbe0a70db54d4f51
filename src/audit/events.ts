import canonicalize from 'canonicalize';
import { blocks } from '../evaluate.js';
import { findingFingerprint } from '../fingerprint.js';
import type { Evaluation } from '../types.js';
import { type Actor, type Details, type EventDraft, type Subject, sha256 } from './entry.js';

/**
 * The "evaluated" event of each AI system a check looked at: its verdict, finding counts, a digest of its
 * findings (so a later report can prove what was found), and the documents' digests as evidence.
 */
export function evaluationEvents(
  evaluation: Evaluation,
  context: { time: string; actor: Actor; subject: Subject },
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
        findings: { ...system.counts, waived: system.waived },
        findingsDigest: sha256(canonicalize(findings) as string),
        // Each finding not waived, as "FINGERPRINT SEVERITY RULE": the nonconformity register reads from these
        // when a finding opened and when it closed.
        open: evaluation.findings
          .filter((f) => f.system === system.id && !f.waiver)
          .map((f) => `${findingFingerprint(f)} ${f.severity} ${f.rule}`),
        waivers: evaluation.waivers
          .filter((w) => w.system === system.id || w.system === system.path)
          .map((w) => `${w.rule} ${w.status} until ${w.expires}`),
      },
      evidence: system.evidence,
    };
  });
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

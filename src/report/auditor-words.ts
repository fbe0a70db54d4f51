import {
  type AnchorReport,
  datedBeforeAnchorWords,
  REVOCATION_WORDS,
  TSA_CHAIN_WORDS,
} from '../audit/anchors.js';
import type { Actor, AuditEntry } from '../audit/entry.js';
import { EVENT_TYPES, formatCheckpoint } from '../audit/entry.js';
import {
  changedSubstance,
  closureGaps,
  DEFAULT_DAYS_TO_DUE,
  type Independence,
  type LogMark,
  latestReview,
} from '../audit/nonconformities.js';
import type { SignatureReport } from '../audit/verify.js';
import type { Statement } from '../soa.js';
import { OBJECTIVE_METRICS } from '../types.js';
import {
  type ApplicabilityRow,
  applicabilitySummary,
  type EvidenceDocument,
  type EvidenceEntry,
} from './applicability.js';
import type { AuditorReport } from './auditor.js';
import type { DeploymentRow } from './deployments.js';
import type { ClosureFigures, Kpis, ObjectiveResult } from './kpis.js';
import { CONTROL_STATUS_WORDS, plural } from './words.js';

/** Words both auditor renderers use, so the Markdown and HTML reports say the same thing. */
export const APPLICABILITY_STATUS: Record<ApplicabilityRow['status'], string> = {
  ...CONTROL_STATUS_WORDS,
  documented: 'documented: the text is there; what it says is for the auditor to judge',
  excluded: 'excluded, and no evidence says otherwise',
  'no evidence': 'no evidence aims-gate checks',
};

/** The Statement of Applicability in one sentence, above its table. */
export function applicabilitySentence(rows: ApplicabilityRow[]): string {
  const n = applicabilitySummary(rows);
  return `${n.controls} controls: ${n.applicable} declared applicable (${n.automatic} of them evidenced by the documents checked or the audit log, ${n.unevidenced} not), ${n.excluded} declared not applicable, ${n.notDeclared} not declared; ${plural(n.flagged, 'control')} flagged where the declaration and the evidence disagree.`;
}

/** The controls the SoA leaves out, by id: every Annex A control must be declared. */
export function undeclaredControls(rows: ApplicabilityRow[]): string[] {
  return rows.filter((r) => r.applicable === 'not declared').map((r) => r.control);
}

/** The declared status and owner of a row, in words. */
export function declaredWords(row: ApplicabilityRow): string {
  if (!row.declared) return 'not declared';
  const applicable = row.applicable === 'yes' ? 'applicable' : 'not applicable';
  return [applicable, row.declared.status, row.declared.owner ? `owner ${row.declared.owner}` : '']
    .filter(Boolean)
    .join(', ');
}

/** The SoA document itself: where, whose, which version, approved by whom, and what is wrong with it. */
export function statementHeader(statement: Statement): string[] {
  const lines: string[] = [];
  if (statement.from === 'config')
    lines.push(
      `Declared in the config's deprecated statement-of-applicability map (${statement.path}), not in a Statement of Applicability file: no organisation, scope, version or justification of need.`,
    );
  else if (!statement.found)
    lines.push(
      `No Statement of Applicability at ${statement.path}: the organisation declares none, so no control is declared (aims-gate init --soa writes a starting one).`,
    );
  else
    lines.push(
      `The organisation's Statement of Applicability: ${statement.path}${statement.version ? `, version ${statement.version}` : ''}${statement.organisation ? `, ${statement.organisation}` : ''}${statement.scope ? `; scope: ${statement.scope}` : ''}.`,
    );
  if (statement.found && statement.from === 'file')
    lines.push(statement.approval?.summary ?? 'Version and approval: not known (no history was read).');
  for (const p of statement.problems)
    lines.push(`Problem: ${statement.path}${p.line ? `:${p.line}` : ''}: ${p.message}.`);
  return lines;
}

/** A log entry cited as evidence: "#7 evaluated against policy, credit-scoring". */
export function evidenceEntryWords(entry: EvidenceEntry): string {
  return `#${entry.seq} ${eventLabel(entry.type)}${entry.system ? `, ${entry.system}` : ''}`;
}

/** A control's evidence in the order both renderers list it: documents, log entries, what the config names. */
export type EvidenceItem =
  | { document: EvidenceDocument }
  | { entry: EvidenceEntry }
  | { more: string }
  | { named: string };

export function evidenceItems(row: ApplicabilityRow): EvidenceItem[] {
  return [
    ...row.documents.map((document) => ({ document })),
    ...(row.moreDocuments ? [{ more: `and ${plural(row.moreDocuments, 'more document')}` }] : []),
    ...row.entries.map((entry) => ({ entry })),
    ...(row.moreEntries ? [{ more: `and ${plural(row.moreEntries, 'earlier entry')}` }] : []),
    ...row.evidence.map((named) => ({ named })),
  ];
}

export function eventLabel(type: string): string {
  return (EVENT_TYPES as Record<string, string>)[type] ?? type.replace(/^custom\./, 'custom: ');
}

export function eventDetails(entry: AuditEntry): string {
  const parts = Object.entries(entry.details ?? {}).map(
    ([k, v]) =>
      `${k}=${
        typeof v === 'object' && v !== null
          ? Array.isArray(v)
            ? v.join('; ')
            : Object.entries(v)
                .map(([a, b]) => `${a}:${b}`)
                .join(',')
          : String(v)
      }`,
  );
  const subject = entry.subject ?? {};
  if (subject.environment) parts.unshift(`environment=${subject.environment}`);
  if (subject.pullRequest) parts.unshift(`PR #${subject.pullRequest}`);
  return parts.join(' · ');
}

export function verificationSentence(report: Pick<AuditorReport, 'log'>): { ok: boolean; text: string } {
  const chain = chainSentence(report);
  const signatures = report.log.verification?.ok ? report.log.verification.signatures : undefined;
  // Nothing signed and nothing claimed: a log as it always was, said as before.
  const quiet = signatures?.ok && signatures.signers.every((s) => s.status === 'unsigned');
  const signed = signatures && !quiet ? signatureSentence(signatures) : undefined;
  const withSigners = signed ? { ok: chain.ok && signatures!.ok, text: `${chain.text} ${signed}` } : chain;
  const anchors = report.log.anchors;
  if (!anchors) return withSigners;
  return { ok: withSigners.ok && anchors.ok, text: `${withSigners.text} ${anchorSentence(anchors)}` };
}

/** Who signed the log's entries, and which claim to be the gate's without a gate key's signature. */
function signatureSentence(signatures: SignatureReport): string {
  const counts = signatures.signers
    .map((s) =>
      s.status === 'signed'
        ? `${s.entries} signed by the ${s.signer}`
        : s.status === 'unsigned'
          ? `${s.entries} unsigned (unverified: anyone who could write the log could have written them)`
          : s.status === 'untrusted'
            ? `${s.entries} signed by an ${s.signer} the configuration does not list`
            : `${s.entries} with a signature that does not hold`,
    )
    .join('; ');
  const failed = signatures.failures.map((f) => f.seq);
  return `Signers: ${counts || 'no entries'}.${
    signatures.ok
      ? ''
      : ` ${plural(signatures.failed, 'entry')} FAILED: ${signatures.failed === 1 ? 'it claims' : 'they claim'} to be the gate's without a gate key's signature, or carry a signature that does not hold (entry ${failed.slice(0, 10).join(', ')}${signatures.failed > 10 ? ', …' : ''}); ${signatures.failed === 1 ? 'it is' : 'they are'} marked FORGED below and count as no gate decision.`
  }`;
}

/** Exactly which anchors were verified, against what, and which failed and why. */
function anchorSentence(anchors: NonNullable<AuditorReport['log']['anchors']>): string {
  const named = (r: AnchorReport) => `entry ${r.seq ?? '?'}${r.hash ? ` (${r.hash.slice(0, 12)}…)` : ''}`;
  const verified = anchors.reports.filter((r) => r.status === 'verified');
  const matched = anchors.reports.filter((r) => r.status === 'matched');
  const failed = anchors.reports.filter((r) => r.status === 'failed');
  const parts = [
    ...verified.map(
      (r) =>
        `Anchor of ${named(r)} verified: timestamped ${r.genTime} by ${r.authority}, signed by the TSA certificate given to this report, and the log still holds that entry.`,
    ),
    ...matched.map(
      (r) =>
        `Anchor of ${named(r)} matches the log and says it was timestamped ${r.genTime} by ${r.authority}; who signed it was not checked (no TSA certificate was given).`,
    ),
    ...failed.map((r) => `Anchor on line ${r.line} (${named(r)}) FAILED: ${r.reason}.`),
  ];
  const chains = [...new Set(verified.flatMap((r) => (r.chain ? [r.chain.join(' ← ')] : [])))];
  if (chains.length) parts.push(`${TSA_CHAIN_WORDS} ${chains.join('; ')}. ${REVOCATION_WORDS}`);
  if (anchors.trusted && verified.length === 0)
    parts.push(
      anchors.reports.length
        ? 'No anchor verified against the TSA certificate given.'
        : 'A TSA certificate was given but the log has no anchors: they may have been removed with a rewrite.',
    );
  return parts.join(' ');
}

function chainSentence(report: Pick<AuditorReport, 'log'>): { ok: boolean; text: string } {
  const { log } = report;
  if (!log.found)
    return { ok: false, text: `No audit log at ${log.path}: there are no lifecycle records to verify.` };
  const v = log.verification!;
  if (!v.ok) {
    return {
      ok: false,
      text: `Verification FAILED at entry ${v.problem!.seq} (line ${v.problem!.line}): ${v.problem!.reason}. The ${plural(Math.max(0, v.problem!.seq - 1), 'entry')} before it chain to each other, which a writer who re-hashed them would also achieve; nothing from it on can be relied on.`,
    };
  }
  const head = v.head ? ` Head ${formatCheckpoint(v.head)}.` : '';
  const checkpoint =
    v.checkpoint === 'matched'
      ? " It reaches the checkpoint given to this report, so nothing up to that checkpoint was removed or rewritten since it was taken: as far as that checkpoint was kept where the log's writer cannot change it."
      : ' No checkpoint was given: the chain alone cannot show that its writer did not rewrite and re-hash it. Verify with --checkpoint SEQ:HASH from a copy kept outside the repository.';
  return {
    ok: true,
    text: `The hash chain of ${log.path} is intact: ${plural(v.entries, 'entry')}.${head}${checkpoint}`,
  };
}

/**
 * The first entry the chain no longer vouches for: from the break on, an entry may have been inserted, edited or
 * re-chained. Undefined for a log that verifies.
 */
export function unprovenFrom(report: Pick<AuditorReport, 'log'>): number | undefined {
  const verification = report.log.verification;
  return verification && !verification.ok ? verification.problem?.seq : undefined;
}

export const UNPROVEN_MARK = '⚠ after the break';

/** Who an entry says did it, and whether anyone vouched for that name. */
export function actorWords(actor: Actor): string {
  if (actor.via === 'github') return actor.run ? `${actor.login} (workflow run ${actor.run})` : actor.login;
  return `${actor.login} (${actor.via === 'typed' ? 'typed: unverified' : 'unverified'})`;
}

/**
 * What else an auditor must know of the log: lines that are no entry, entries dated before an anchor that
 * precedes them (by sequence number), and time running backwards.
 */
export function logNotes(report: Pick<AuditorReport, 'log'>): string[] {
  const bad = report.log.badLines ?? [];
  const dated = report.log.verification?.datedBeforeAnchor;
  return [
    ...(dated?.count
      ? [
          `${plural(dated.count, 'entry')} ${dated.count === 1 ? 'is' : 'are'} dated before an RFC 3161 anchor that precedes ${dated.count === 1 ? 'it' : 'them'} in the log, so ${dated.count === 1 ? 'its date' : 'their dates'} cannot be true: entry ${dated.entries
            .slice(0, 20)
            .map((d) => d.seq)
            .join(', ')}${dated.count > 20 ? ', …' : ''}.`,
          ...dated.entries.slice(0, 10).map((d) => `${datedBeforeAnchorWords(d)}.`),
        ]
      : []),
    ...(bad.length
      ? [
          `${plural(bad.length, 'line')} of the log ${bad.length === 1 ? 'is' : 'are'} no audit entry (line ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', …' : ''}): not shown; a line can chain and still not be an entry (written by hand, or sealed by a script).`,
        ]
      : []),
    ...(report.log.verification?.warnings ?? []),
  ];
}

export function earlierSentence(system: { id: string; earlier: number }): string {
  return `${plural(system.earlier, 'earlier event')} not listed: aims-gate log --system ${system.id} lists them all.`;
}

/** When a finding becomes a nonconformity, and when any closes, as the report states it. */
export const NONCONFORMITY_RULE = `A finding becomes a nonconformity when it is major or minor, not waived, and found on a system in production or deprecated by an evaluation recorded outside a pull request; its owner is the system's owner by its governance facts. Audit findings, incidents and complaints are opened by hand (aims-gate nonconformity). Either kind closes only with a root cause, its corrective actions done and an effectiveness review that found them effective, reviewed and closed by someone other than the action owner (a signature by a key the configuration trusts proves who; an unsigned one is unverified); a finding's closes when, besides, an evaluation no longer finds it. A closure without these does not count: the nonconformity stays open. Due dates default to ${DEFAULT_DAYS_TO_DUE.major} days (major) and ${DEFAULT_DAYS_TO_DUE.minor} days (minor) from opening; observations are listed apart, have no due date and are no nonconformities.`;

export function nonconformityWords(nc: AuditorReport['nonconformities'][number]): {
  title: string;
  since: string;
  due: string;
  actions: string;
  state: string;
} {
  const review = latestReview(nc);
  const refused = nc.refusedClosures.at(-1);
  const was = changedSubstance(nc);
  const regrades = nc.regrades.map(
    (r) => ` Regraded ${r.from} → ${r.to} by ${r.by} (entry ${r.seq}): ${r.reason}.`,
  );
  return {
    title: `${nc.title}${nc.message ? `: ${nc.message}` : ''}${citedWords(nc)}${nc.links.length ? ` Linked with ${nc.links.join(', ')}.` : ''}${nc.rootCause ? ` Root cause: ${nc.rootCause}${typedWords(nc.rootCauseAt)}` : ''}${regrades.join('')}${was.length ? ` When opened: ${was.join(', ')}.` : ''}`,
    since: `${nc.opened.time.slice(0, 10)} (entry ${nc.opened.seq})`,
    due: nc.due
      ? `${nc.due}${nc.dueByDefault ? ' (default)' : ''}${nc.dueReason ? ` (moved: ${nc.dueReason})` : ''}${nc.overdue ? ' OVERDUE' : ''}`
      : '—',
    actions:
      [
        ...nc.actions.map(
          (a) =>
            `${a.action}${a.owner ? ` (${a.owner})` : ''}${a.completed ? `, done ${a.completed.time.slice(0, 10)}${typedWords(a.completed)}` : a.due ? `, due ${a.due}` : ''}`,
        ),
        ...(review
          ? [
              `effectiveness reviewed ${review.time.slice(0, 10)} (entry ${review.seq}) by ${independenceWords(review.independence)}: ${review.effective ? 'effective' : 'NOT effective'}${review.note ? `, ${review.note}` : ''}`,
            ]
          : []),
      ].join('; ') || '—',
    state: nc.closed
      ? `closed ${nc.closed.time.slice(0, 10)} (entry ${nc.closed.seq})${nc.closed.independence ? ` by ${independenceWords(nc.closed.independence)}` : ''}: ${nc.closed.note}${nc.closed.evidence.length ? `; evidence ${nc.closed.evidence.map((e) => `${e.path} ${e.sha256.slice(0, 12)}…`).join(', ')}` : ''}`
      : [
          'open',
          nc.earlierClosures.length
            ? `found again after ${plural(nc.earlierClosures.length, 'closure')} (last ${nc.earlierClosures.at(-1)!.time.slice(0, 10)}, entry ${nc.earlierClosures.at(-1)!.seq})`
            : '',
          nc.corrected ? `corrected (${nc.corrected.note}), not closed: ${closureGaps(nc).join('; ')}` : '',
          refused
            ? `closure not effective: the closure in entry ${refused.seq} does not count (${refused.reasons.join('; ')})`
            : '',
        ]
          .filter(Boolean)
          .join(', '),
  };
}

/** The summary tiles, one number each, worded for what they count: findings are never called nonconformities. */
export function summaryTiles(report: AuditorReport): { id: string; value: number; label: string }[] {
  const { kpis } = report;
  const soa = applicabilitySummary(report.applicability);
  const met = kpis.objectives.filter((o) => o.status === 'met').length;
  return [
    { id: 'systems', value: report.evaluation.systems.length, label: 'AI systems' },
    { id: 'events', value: report.totalEvents, label: 'lifecycle events' },
    { id: 'major', value: kpis.findings.major, label: 'open major findings' },
    { id: 'minor', value: kpis.findings.minor, label: 'open minor findings' },
    { id: 'observations', value: kpis.findings.observation, label: 'findings graded observation' },
    { id: 'nonconformities', value: kpis.nonconformities.open, label: 'open nonconformities (register)' },
    { id: 'nc-major', value: kpis.nonconformities.major, label: 'of them major' },
    { id: 'nc-minor', value: kpis.nonconformities.minor, label: 'of them minor' },
    { id: 'overdue', value: kpis.overdueNonconformities, label: 'overdue nonconformities' },
    { id: 'register-observations', value: kpis.observations, label: 'open observations (register)' },
    ...(kpis.objectives.length
      ? [{ id: 'objectives-met', value: met, label: `of ${kpis.objectives.length} AI objectives met` }]
      : []),
    {
      id: 'applicable',
      value: report.applicability.filter((r) => r.applicable === 'yes').length,
      label: 'controls applicable',
    },
    { id: 'evidenced', value: soa.automatic, label: 'controls evidenced automatically' },
    { id: 'flagged', value: soa.flagged, label: 'controls flagged' },
    {
      id: 'not-addressed',
      value: report.applicability.filter((r) => r.applicable === 'not declared').length,
      label: 'controls not declared',
    },
  ];
}

/** Days to close, for the nonconformities the gate opened and for those opened by hand, apart. */
export function closureSentence(kpis: Kpis): string {
  const part = (f: ClosureFigures, what: string) =>
    `${what}: ${f.closed} closed${f.median === undefined ? '' : `, in ${f.median} days (median), ${f.mean} (mean)`}`;
  return `Closures that count (root cause, actions done, effectiveness reviewed) — ${part(kpis.daysToClose.automatic, 'nonconformities the gate opened from findings')}; ${part(kpis.daysToClose.manual, 'opened by hand (audits, incidents, complaints)')} · overdue nonconformities: ${kpis.overdueNonconformities} · overdue reviews: ${kpis.overdueReviews}`;
}

/** An objective against its target, in words both renderers show. */
export function objectiveWords(result: ObjectiveResult): {
  objective: string;
  metric: string;
  target: string;
  measured: string;
  status: string;
} {
  const { objective } = result;
  const target = objective.target;
  return {
    objective: `${objective.id} ${objective.title}${objective.owner ? ` (owner ${objective.owner})` : ''}`,
    metric: `${objective.metric}: ${OBJECTIVE_METRICS[objective.metric]}`,
    target:
      typeof target === 'string'
        ? target
        : 'max' in target
          ? `at most ${target.max}`
          : `at least ${target.min}`,
    measured: result.basis,
    status: result.status === 'met' ? 'met' : result.status === 'missed' ? 'MISSED' : 'not measured',
  };
}

export function deploymentWords(d: DeploymentRow): {
  commit: string;
  roles: string;
  evaluation: string;
  writer: string;
} {
  return {
    commit: d.commit ? d.commit.slice(0, 12) : '—',
    roles: d.roles.join('; ') || d.approvers.join(', ') || '—',
    evaluation: d.evaluation ? `entry ${d.evaluation}` : '—',
    writer: d.forged
      ? `FORGED: not signed by a gate key (${d.signer}); it names ${d.writer ? `as its writer ${d.writer}` : 'no writer'}, recorded as by ${d.actor}`
      : d.signer
        ? `${d.writer ?? 'the gate, no run named'}; ${d.signer}`
        : (d.writer ?? `not the gate: recorded by ${d.actor}, no writer named`),
  };
}

/** Who an entry says did it, and who signed it where the report knows: a gate claim no gate key signed is FORGED. */
export function entryActorWords(report: Pick<AuditorReport, 'signatures'>, entry: AuditEntry): string {
  const signed = report.signatures?.[entry.seq];
  if (!signed) return actorWords(entry.actor);
  if (signed.forged) return `FORGED: ${actorWords(entry.actor)}, not signed by a gate key (${signed.signer})`;
  if (signed.vouched) return `${entry.actor.login}, ${signed.signer}`;
  return `${actorWords(entry.actor)}, ${signed.signer}`;
}

/** " (as typed by dana, unsigned)" for a person's statement no trusted key vouches for, where persons are verified. */
export function typedWords(mark: LogMark | undefined): string {
  return mark?.unsigned ? ` (as typed by ${mark.by}, unsigned)` : '';
}

/** Who reviewed or closed, and whether the log proves them independent of the action: "gov-lead (signed; not the action owner)". */
export function independenceWords(i: Independence): string {
  const teams = i.teams.length ? `; the owning team ${i.teams.join(', ')} was not checked` : '';
  if (i.status === 'owner')
    return `${i.who}, its own action owner (${i.signed ? 'signed: it does not count' : 'as typed, unsigned: flagged'})`;
  return i.status === 'verified'
    ? `${i.who} (signed; not the action owner${teams})`
    : `${i.who} (unverified: unsigned${teams})`;
}

/** What a nonconformity cites, " [A.8.3, clause 9.2]", or nothing. */
export function citedWords(nc: { controls: string[]; clauses?: string[] }): string {
  const cited = [...nc.controls, ...(nc.clauses ?? []).map((c) => `clause ${c}`)];
  return cited.length ? ` [${cited.join(', ')}]` : '';
}

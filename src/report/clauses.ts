import type { AuditEntry } from '../audit/entry.js';
import { isObservation, type Nonconformity } from '../audit/nonconformities.js';
import { ORGANISATION_EVENTS } from '../audit/organisation.js';
import { clauses as clauseTitles, evidencesClause } from '../controls.js';
import type { Evaluation, PlannedAudit } from '../types.js';

/**
 * The management-system clauses 4 to 10, as the evidence shows them: per clause, the log's entries that
 * evidence it (by sequence number), the rules that checked documents for it, and the nonconformities that cite
 * it; a clause with none of these is said to be not evidenced here, never left out. And the internal audit
 * programme, planned against performed.
 */

/** Log entries that evidence a clause by being there: the organisation's events, then the register and monitoring. */
const CLAUSE_EVENTS: Record<string, readonly string[]> = (() => {
  const out: Record<string, string[]> = {
    '9.1': ['evaluated', 'monitoring.alert'],
    '10.2': [
      'nonconformity.opened',
      'nonconformity.updated',
      'nonconformity.regraded',
      'nonconformity.reviewed',
      'nonconformity.linked',
      'nonconformity.closed',
      'corrective-action.planned',
      'corrective-action.completed',
    ],
  };
  for (const [type, { clause }] of Object.entries(ORGANISATION_EVENTS))
    out[clause] = [...(out[clause] ?? []), type];
  return out;
})();

/** Entry numbers listed per clause: the latest; the count says how many there are in all. */
const LISTED = 10;

export interface ClauseRow {
  clause: string;
  title: string;
  /** The event types that evidence it in the log (empty: nothing the log holds can). */
  types: readonly string[];
  entries: { count: number; latest: { seq: number; type: string; time: string }[] };
  /** Rules citing the clause that ran on at least one system, with their open findings. */
  rules: { id: string; findings: number }[];
  /** Nonconformities citing the clause, open ones first. */
  nonconformities: { id: string; open: boolean }[];
  evidenced: boolean;
}

export interface ProgrammeRow {
  audit: PlannedAudit;
  planned?: { seq: number; time: string };
  performed?: { seq: number; time: string; auditor: string; findings: string; signed: boolean };
  /** Not performed and its planned day is past. */
  overdue: boolean;
}

export interface ClauseReport {
  clauses: ClauseRow[];
  programme: ProgrammeRow[];
  /** audit.performed entries naming no audit of the programme: shown, never dropped. */
  unplanned: { seq: number; audit: string }[];
}

export function clauseReport(
  evaluation: Evaluation,
  entries: readonly AuditEntry[],
  nonconformities: readonly Nonconformity[],
): ClauseReport {
  const byType = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    const list = byType.get(entry.type);
    if (list) list.push(entry);
    else byType.set(entry.type, [entry]);
  }
  // One row per clause (4.1 to 10.2); what cites a subclause (6.1.2, 9.2.2) is shown on its clause's row.
  const rows = Object.entries(clauseTitles()).filter(([clause]) => clause.split('.').length === 2);
  const clauses = rows.map(([clause, title]): ClauseRow => {
    const types = Object.entries(CLAUSE_EVENTS).flatMap(([cited, t]) =>
      evidencesClause(cited, clause) ? t : [],
    );
    const evidence = types.flatMap((t) => byType.get(t) ?? []).sort((a, b) => a.seq - b.seq);
    const rules = evaluation.rules
      .filter((r) => r.clauses.some((c) => evidencesClause(c, clause)) && r.appliedTo.length)
      .map((r) => ({
        id: r.id,
        findings: evaluation.findings.filter((f) => f.rule === r.id && !f.waiver).length,
      }));
    // Observations are no nonconformities: the register lists them apart.
    const ncs = nonconformities
      .filter((nc) => nc.clauses.some((c) => evidencesClause(c, clause)) && !isObservation(nc))
      .map((nc) => ({ id: nc.id, open: !nc.closed }))
      .sort((a, b) => Number(b.open) - Number(a.open));
    return {
      clause,
      title,
      types,
      entries: {
        count: evidence.length,
        latest: evidence.slice(-LISTED).map((e) => ({ seq: e.seq, type: e.type, time: e.time })),
      },
      rules,
      nonconformities: ncs,
      evidenced: evidence.length > 0 || rules.length > 0,
    };
  });

  const audits = evaluation.policy.audits;
  const last = (type: string, id: string) =>
    (byType.get(type) ?? []).filter((e) => e.details.audit === id).at(-1);
  const programme = audits.map((audit): ProgrammeRow => {
    const planned = last('audit.planned', audit.id);
    const performed = last('audit.performed', audit.id);
    return {
      audit,
      ...(planned ? { planned: { seq: planned.seq, time: planned.time } } : {}),
      ...(performed
        ? {
            performed: {
              seq: performed.seq,
              time: performed.time,
              auditor: String(performed.details.auditor ?? performed.actor.login),
              findings: String(performed.details.findings ?? ''),
              signed: performed.sig !== undefined,
            },
          }
        : {}),
      overdue: !performed && audit.planned < evaluation.today,
    };
  });
  const known = new Set(audits.map((a) => a.id));
  const unplanned = (byType.get('audit.performed') ?? [])
    .filter((e) => !known.has(String(e.details.audit)))
    .map((e) => ({ seq: e.seq, audit: String(e.details.audit) }));
  return { clauses, programme, unplanned };
}

/** One clause's evidence in words, for both renderings. */
export function clauseEvidenceWords(row: ClauseRow): string {
  const parts: string[] = [];
  if (row.entries.count) {
    const seqs = row.entries.latest.map((e) => `#${e.seq} ${e.type}`).join(', ');
    const earlier = row.entries.count - row.entries.latest.length;
    parts.push(`log ${seqs}${earlier ? ` (and ${earlier} earlier)` : ''}`);
  }
  if (row.rules.length)
    parts.push(
      `documents checked by ${row.rules.map((r) => `${r.id}${r.findings ? ` (${r.findings} open finding${r.findings === 1 ? '' : 's'})` : ''}`).join(', ')}`,
    );
  return parts.join('; ');
}

/** What is not evidenced, and what would evidence it. */
export function clauseGapWords(row: ClauseRow): string {
  if (row.evidenced) return '';
  return row.types.length
    ? `no ${row.types.join(' or ')} entry in the log`
    : 'nothing in the repository or its log evidences it: its evidence is kept elsewhere, and is not assessed here';
}

export function nonconformityWordsOfClause(row: ClauseRow): string {
  return row.nonconformities.map((n) => `${n.id}${n.open ? ' (open)' : ' (closed)'}`).join(', ');
}

/** An audit of the programme, as both renderings state it. */
export function programmeWords(row: ProgrammeRow): { scope: string; state: string } {
  const { scope } = row.audit;
  const performed = row.performed;
  return {
    scope: [
      ...(scope.systems ?? []).map((s) => `system ${s}`),
      ...(scope.controls ?? []),
      ...(scope.clauses ?? []).map((c) => `clause ${c}`),
    ].join(', '),
    state: performed
      ? `performed ${performed.time.slice(0, 10)} (entry ${performed.seq}) by ${performed.auditor}${performed.signed ? '' : ' (as typed, unsigned)'}; findings: ${performed.findings || '—'}`
      : `${row.overdue ? 'OVERDUE: not performed' : 'not yet performed'}${row.planned ? ` (planning recorded in entry ${row.planned.seq})` : ''}`,
  };
}

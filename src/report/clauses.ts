import type { AuditEntry } from '../audit/entry.js';
import { isObservation, type Nonconformity } from '../audit/nonconformities.js';
import { ORGANISATION_EVENTS } from '../audit/organisation.js';
import { clauses as clauseTitles, evidencesClause } from '../controls.js';
import type { Evaluation, PlannedAudit } from '../types.js';
import { Tail } from './tail.js';

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
  /** audit.performed entries naming no audit of the programme: shown, never dropped (the latest listed). */
  unplanned: { seq: number; audit: string }[];
  /** How many earlier ones are not listed. */
  earlierUnplanned: number;
}

/** One row per clause (4.1 to 10.2); what cites a subclause (6.1.2, 9.2.2) is shown on its clause's row. */
const clauseRows = () => Object.entries(clauseTitles()).filter(([clause]) => clause.split('.').length === 2);

/** The event types whose entries evidence a clause's row: those of the clause and of its subclauses. */
const typesOf = (clause: string): string[] =>
  Object.entries(CLAUSE_EVENTS).flatMap(([cited, types]) => (evidencesClause(cited, clause) ? types : []));

/** Unplanned audits listed: the latest; the count says how many there are in all. */
const UNPLANNED_LISTED = 100;

type Listed = ClauseRow['entries']['latest'][number];

/**
 * The clauses' evidence, a log entry at a time: per clause, how many entries evidence it and the latest
 * LISTED; per audit of the programme, its latest planning and performance. Memory grows with the clauses
 * and the programme, never with the entries. The log's order is its sequence numbers' (a chain that verifies
 * has them in order).
 */
export class ClauseFold {
  /** The clauses each evidencing event type counts for. */
  private readonly clausesOf = new Map<string, string[]>();
  private readonly evidence = new Map<string, Tail<Listed>>();
  private readonly planned = new Map<string, AuditEntry>();
  private readonly performed = new Map<string, AuditEntry>();
  private readonly unplanned = new Tail<{ seq: number; audit: string }>(UNPLANNED_LISTED);
  private readonly known: Set<string>;

  constructor(private readonly evaluation: Evaluation) {
    for (const [clause] of clauseRows()) {
      this.evidence.set(clause, new Tail(LISTED));
      for (const type of new Set(typesOf(clause)))
        this.clausesOf.set(type, [...(this.clausesOf.get(type) ?? []), clause]);
    }
    this.known = new Set(evaluation.policy.audits.map((a) => a.id));
  }

  add(entry: AuditEntry): void {
    for (const clause of this.clausesOf.get(entry.type) ?? [])
      this.evidence.get(clause)!.push({ seq: entry.seq, type: entry.type, time: entry.time });
    if (entry.type !== 'audit.planned' && entry.type !== 'audit.performed') return;
    const audit = String(entry.details.audit);
    if (this.known.has(audit))
      (entry.type === 'audit.planned' ? this.planned : this.performed).set(audit, entry);
    else if (entry.type === 'audit.performed') this.unplanned.push({ seq: entry.seq, audit });
  }

  report(nonconformities: readonly Nonconformity[]): ClauseReport {
    const { evaluation } = this;
    const clauses = clauseRows().map(([clause, title]): ClauseRow => {
      const types = typesOf(clause);
      const evidence = this.evidence.get(clause)!;
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
        entries: { count: evidence.count, latest: evidence.list() },
        rules,
        nonconformities: ncs,
        evidenced: evidence.count > 0 || rules.length > 0,
      };
    });

    const programme = evaluation.policy.audits.map((audit): ProgrammeRow => {
      const planned = this.planned.get(audit.id);
      const performed = this.performed.get(audit.id);
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
    return {
      clauses,
      programme,
      unplanned: this.unplanned.list(),
      earlierUnplanned: this.unplanned.earlier,
    };
  }
}

/** The clauses of a log already read (a test's few entries): the fold, over them. */
export function clauseReport(
  evaluation: Evaluation,
  entries: Iterable<AuditEntry>,
  nonconformities: readonly Nonconformity[],
): ClauseReport {
  const fold = new ClauseFold(evaluation);
  for (const entry of entries) fold.add(entry);
  return fold.report(nonconformities);
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

/** The unplanned audits not listed, in words (empty when all are). */
export function earlierUnplannedWords(report: ClauseReport): string {
  const n = report.earlierUnplanned;
  return n
    ? `And ${n} earlier ${n === 1 ? 'entry records an audit' : 'entries record audits'} the programme does not plan: aims-gate log --type audit.performed lists them all.`
    : '';
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

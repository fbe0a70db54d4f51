import type { Severity } from '../types.js';
import type { AuditEntry, Evidence } from './entry.js';

/**
 * The nonconformity register (ISO/IEC 42001 clause 10.2), replayed from the audit log. Nothing is kept
 * anywhere else: the log is the register's only source, so the register is as tamper-evident as the log.
 *
 * When a finding becomes a nonconformity: a finding is a proposal until it reaches a system in operation.
 * A major or minor finding that is not waived, in an evaluation of a system whose status is production or
 * deprecated, recorded outside a pull request (`check --record` of a clean, committed tree, the deployment
 * gate), opens a nonconformity of that grade, one per rule and document. It closes itself at the first such
 * evaluation that no longer finds it at any grade, saying whether it was fixed, waived, or its rule disabled,
 * or at an evaluation whose documents say the system is retired; it cannot be closed by hand, and a `record`ed
 * retirement does not close it. Observations never open one by themselves. Anything else (an internal or
 * external audit's finding, an incident, a complaint) is opened by hand with `aims-gate nonconformity open`,
 * at any grade, and closed by hand with its closure evidence.
 */

export const NC_GRADES = ['major', 'minor', 'observation'] as const satisfies readonly Severity[];
export const NC_SOURCES = [
  'check',
  'internal-audit',
  'external-audit',
  'incident',
  'complaint',
  'management-review',
] as const;

/** Days from opening to the due date when nobody set one: a major nonconformity is corrected first. */
export const DEFAULT_DAYS_TO_DUE: Partial<Record<Severity, number>> = { major: 30, minor: 90 };

/** Statuses of a system in operation: findings on them are nonconformities. */
const IN_OPERATION = new Set(['production', 'deprecated']);

export interface LogMark {
  seq: number;
  time: string;
  by: string;
}

export interface CorrectiveAction {
  action: string;
  owner?: string;
  due?: string;
  planned: LogMark;
  completed?: LogMark;
}

export type Closure = LogMark & { note: string; evidence: Evidence[] };

export interface Nonconformity {
  /** NC-<seq> for one opened by hand (the entry that opened it), NC-<12 hex> for a finding's (its key). */
  id: string;
  grade: Severity;
  source: string;
  title: string;
  system?: string;
  controls: string[];
  /** Management-system clauses (those the reference lists) it cites: an internal audit's finding is often against one. */
  clauses: string[];
  /** The finding's rule and key (src/fingerprint.ts), for one opened by an evaluation. */
  rule?: string;
  key?: string;
  opened: LogMark;
  owner?: string;
  due?: string;
  /** The due date is the default for its grade, not one somebody set. */
  dueByDefault: boolean;
  rootCause?: string;
  actions: CorrectiveAction[];
  closed?: Closure;
  /** Why the due date was moved, when it was. */
  dueReason?: string;
  /** Closures before the nonconformity came back (a finding found again). */
  earlierClosures: Closure[];
  /** Every entry that changed it, in order. */
  history: number[];
}

export interface Register {
  nonconformities: Nonconformity[];
  /** Entries that name a nonconformity the log does not know, or are otherwise unusable: shown, never dropped. */
  problems: string[];
}

const mark = (entry: AuditEntry): LogMark => ({ seq: entry.seq, time: entry.time, by: entry.actor.login });

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

const list = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : [];

const grade = (value: unknown): Severity | undefined =>
  NC_GRADES.find((g) => g === value) as Severity | undefined;

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day.slice(0, 10)}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function defaultDue(nc: Nonconformity): void {
  if (nc.due && !nc.dueByDefault) return;
  const days = DEFAULT_DAYS_TO_DUE[nc.grade];
  nc.due = days === undefined ? undefined : addDays(nc.opened.time, days);
  nc.dueByDefault = nc.due !== undefined;
}

const KEY = /^[0-9a-f]{32}$/;

/** "KEY SEVERITY RULE", as an evaluated entry lists what is open. */
function openFinding(item: unknown): { key: string; severity: Severity; rule: string } | undefined {
  if (typeof item !== 'string') return undefined;
  const [key, severity, rule] = item.split(' ');
  const g = grade(severity);
  return key && KEY.test(key) && g && rule ? { key, severity: g, rule } : undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** An evaluation proposed by a pull request (by its number, or by a pull request's ref as CI checks it out). */
const fromPullRequest = (entry: AuditEntry) =>
  entry.subject.pullRequest !== undefined || /^refs\/pull\//.test(entry.subject.ref ?? '');

const DATE = /^\d{4}-\d\d-\d\d$/;
const day = (value: unknown): string | undefined => {
  const t = text(value);
  return t && DATE.test(t) && new Date(`${t}T00:00:00Z`).toISOString().startsWith(t) ? t : undefined;
};

/** Replays the log into the register. Entries must be in log order. */
export function nonconformityRegister(entries: Iterable<AuditEntry>): Register {
  const byId = new Map<string, Nonconformity>();
  const problems: string[] = [];
  /** Open nonconformities of findings, by system: what the next evaluation of that system may close. */
  const openOfSystem = new Map<string, Set<string>>();

  const closeFinding = (nc: Nonconformity, entry: AuditEntry, note: string) => {
    nc.closed = { ...mark(entry), note, evidence: entry.evidence };
    nc.history.push(entry.seq);
    openOfSystem.get(nc.system!)?.delete(nc.id);
  };

  for (const entry of entries) {
    const details = entry.details ?? {};
    const system = entry.subject?.system;
    if (entry.type === 'evaluated') {
      // An evaluation names the commit it judged; one with none (not of a git work tree) proves nothing.
      if (!system || !entry.subject.commit || fromPullRequest(entry) || !Array.isArray(details.open))
        continue;
      const status = String(details.status);
      const open = details.open.map(openFinding).filter((f) => f !== undefined);
      if (open.length !== details.open.length)
        problems.push(
          `entry ${entry.seq} lists findings that are not "KEY SEVERITY RULE": those were skipped`,
        );
      // Still found, at any grade: a major finding turned into an observation has not been fixed.
      const found = new Set(open.map((f) => `NC-${f.key.slice(0, 12)}`));
      if (IN_OPERATION.has(status))
        for (const finding of open) {
          if (finding.severity === 'observation') continue;
          const id = `NC-${finding.key.slice(0, 12)}`;
          const known = byId.get(id);
          if (known && !known.closed) continue;
          if (known) {
            known.earlierClosures.push(known.closed!);
            known.closed = undefined;
            known.history.push(entry.seq);
          } else {
            const nc: Nonconformity = {
              id,
              grade: finding.severity,
              source: 'check',
              title: `${finding.rule} on ${system}`,
              system,
              controls: [],
              clauses: [],
              rule: finding.rule,
              key: finding.key,
              opened: mark(entry),
              dueByDefault: false,
              actions: [],
              earlierClosures: [],
              history: [entry.seq],
            };
            defaultDue(nc);
            byId.set(id, nc);
          }
          openOfSystem.set(system, (openOfSystem.get(system) ?? new Set()).add(id));
        }
      // Only an evaluation of a system in operation that ran and did not find it closes a finding's
      // nonconformity (one of a system put back into development proves nothing fixed), or one whose documents
      // say the system is retired.
      if (!IN_OPERATION.has(status) && status !== 'retired') continue;
      const waived = new Set(strings(details.waived));
      const disabled = new Set(strings(details.disabled));
      for (const id of [...(openOfSystem.get(system) ?? [])]) {
        const nc = byId.get(id)!;
        if (status === 'retired')
          closeFinding(
            nc,
            entry,
            `the system's documents say it is retired (evaluation in entry ${entry.seq})`,
          );
        else if (found.has(id)) continue;
        else if (waived.has(nc.key!))
          closeFinding(nc, entry, `waived: the evaluation in entry ${entry.seq} finds it under a waiver`);
        else if (disabled.has(nc.rule!))
          closeFinding(
            nc,
            entry,
            `no longer checked: the configuration evaluated in entry ${entry.seq} disables ${nc.rule}`,
          );
        else closeFinding(nc, entry, `no longer found by the evaluation in entry ${entry.seq}`);
      }
      continue;
    }
    if (entry.type === 'nonconformity.opened') {
      const nc: Nonconformity = {
        id: `NC-${entry.seq}`,
        grade: grade(details.grade) ?? 'major',
        source: text(details.source) ?? 'internal-audit',
        title: text(details.title) ?? '(no title)',
        ...(system ? { system } : {}),
        controls: list(details.controls),
        clauses: list(details.clauses),
        opened: mark(entry),
        ...(text(details.owner) ? { owner: text(details.owner) } : {}),
        ...(day(details.due) ? { due: day(details.due) } : {}),
        dueByDefault: false,
        actions: [],
        earlierClosures: [],
        history: [entry.seq],
      };
      defaultDue(nc);
      byId.set(nc.id, nc);
      continue;
    }
    if (!entry.type.startsWith('nonconformity.') && !entry.type.startsWith('corrective-action.')) continue;
    const id = text(details.nc);
    const nc = id ? byId.get(id) : undefined;
    if (!nc) {
      problems.push(
        `entry ${entry.seq} (${entry.type}) names ${id ?? 'no nonconformity'}, which the log does not know`,
      );
      continue;
    }
    nc.history.push(entry.seq);
    switch (entry.type) {
      case 'nonconformity.updated': {
        const g = grade(details.grade);
        if (g && nc.source === 'check')
          problems.push(
            `entry ${entry.seq} regrades ${nc.id}; a finding's nonconformity has its rule's grade`,
          );
        else if (g) nc.grade = g;
        if (text(details.owner)) nc.owner = text(details.owner);
        if (day(details.due)) {
          nc.due = day(details.due);
          nc.dueByDefault = false;
          if (text(details.reason)) nc.dueReason = text(details.reason);
        } else if (details.due !== undefined)
          problems.push(`entry ${entry.seq} gives ${nc.id} a due date that is no date (YYYY-MM-DD)`);
        if (text(details.rootCause)) nc.rootCause = text(details.rootCause);
        if (text(details.title)) nc.title = text(details.title)!;
        if (details.controls !== undefined) nc.controls = list(details.controls);
        if (details.clauses !== undefined) nc.clauses = list(details.clauses);
        defaultDue(nc);
        break;
      }
      case 'corrective-action.planned':
        nc.actions.push({
          action: text(details.action) ?? '(no action named)',
          ...(text(details.owner) ? { owner: text(details.owner) } : {}),
          ...(day(details.due) ? { due: day(details.due) } : {}),
          planned: mark(entry),
        });
        break;
      case 'corrective-action.completed': {
        const action = nc.actions.find(
          (a) => !a.completed && (!text(details.action) || a.action === text(details.action)),
        );
        if (action) action.completed = mark(entry);
        else
          problems.push(`entry ${entry.seq} completes a corrective action of ${nc.id} that was not planned`);
        break;
      }
      case 'nonconformity.closed':
        if (nc.source === 'check') {
          problems.push(
            `entry ${entry.seq} closes ${nc.id} by hand; a finding's nonconformity closes only when an evaluation no longer finds it`,
          );
          break;
        }
        nc.closed = { ...mark(entry), note: text(details.note) ?? '', evidence: entry.evidence };
        break;
      default:
        problems.push(`entry ${entry.seq} has type ${entry.type}, which the register does not know`);
    }
  }
  return { nonconformities: [...byId.values()], problems };
}

export function isOverdue(nc: Nonconformity, today: string): boolean {
  return !nc.closed && nc.due !== undefined && nc.due < today;
}

/** Whole days from opening to closing (or to `today` while open). */
export function daysOpen(nc: Nonconformity, today: string): number {
  const end = nc.closed ? Date.parse(nc.closed.time) : Date.parse(`${today}T00:00:00Z`);
  return Math.max(0, Math.floor((end - Date.parse(nc.opened.time)) / 86_400_000));
}

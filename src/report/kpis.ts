import type { AuditEntry } from '../audit/entry.js';
import {
  daysOpen,
  isAutomatic,
  isObservation,
  isOverdue,
  type Nonconformity,
  type Register,
} from '../audit/nonconformities.js';
import type { Objective, Severity } from '../types.js';
import type { DeploymentRow } from './deployments.js';

/**
 * The management review's figures (ISO/IEC 42001 clauses 9.1, 9.3), from the log, each counting what its name
 * says: findings (what today's evaluation or a recorded one found) are never called nonconformities, the
 * register's nonconformities never include its observations, and the closures of nonconformities the gate opened
 * from findings are measured apart from those opened by hand (audits, incidents), whose closing takes longer.
 */

/** A month of the figures, each as it stood at the month's end. */
export interface MonthFigures {
  month: string;
  /** Findings (major, minor, observation) at each system's last recorded evaluation by the month's end. */
  findings: number;
  /** Nonconformities (not observations) opened, closed (closures that count) and open at the month's end. */
  opened: number;
  closed: number;
  open: number;
  approved: number;
  rejected: number;
}

/** Days from opening to a closure that counts, of the nonconformities closed so far. */
export interface ClosureFigures {
  closed: number;
  median?: number;
  mean?: number;
}

export interface ObjectiveResult {
  objective: Objective;
  /** The figure measured (a number), or the result management recorded (reviewed). */
  value?: number | string;
  status: 'met' | 'missed' | 'not measured';
  /** Where the figure comes from, in words: "3 open today", "objective.reviewed in entry 31". */
  basis: string;
}

export interface Kpis {
  months: MonthFigures[];
  /** Open findings of today's evaluation (not waived), by grade. */
  findings: Record<Severity, number>;
  /** The register's nonconformities open today, by grade, and how many are past their due date. */
  nonconformities: { open: number; major: number; minor: number; overdue: number };
  /** The register's observations open today: no nonconformities. */
  observations: number;
  /** Closures of nonconformities the gate opened from findings, and of those opened by hand. */
  daysToClose: { automatic: ClosureFigures; manual: ClosureFigures; all: ClosureFigures };
  overdueNonconformities: number;
  /** Findings of review-date rules in today's evaluation: reviews that are late. */
  overdueReviews: number;
  /** The configuration's AI objectives against their targets. */
  objectives: ObjectiveResult[];
}

/** Months shown: a year is what a management review looks back on. */
export const KPI_MONTHS = 12;

const monthOf = (time: string) => time.slice(0, 7);

function lastMonths(today: string, count: number): string[] {
  const [year, month] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.UTC(year, month - 1 - (count - 1 - i), 1));
    return date.toISOString().slice(0, 7);
  });
}

function closureFigures(ncs: readonly Nonconformity[], today: string): ClosureFigures {
  const days = ncs
    .filter((nc) => nc.closed)
    .map((nc) => daysOpen(nc, today))
    .sort((a, b) => a - b);
  if (!days.length) return { closed: 0 };
  const half = days.length / 2;
  return {
    closed: days.length,
    median: days.length % 2 ? days[(days.length - 1) / 2]! : (days[half - 1]! + days[half]!) / 2,
    mean: Math.round((days.reduce((a, b) => a + b, 0) / days.length) * 10) / 10,
  };
}

/** The figures of the last twelve months, each as it stood at the month's end, and today's. */
export function kpis(
  entries: readonly AuditEntry[],
  register: Register,
  deployments: readonly DeploymentRow[],
  context: {
    today: string;
    overdueReviews: number;
    findings: Record<Severity, number>;
    objectives?: readonly Objective[];
  },
): Kpis {
  const months = lastMonths(context.today, KPI_MONTHS);
  const figures = new Map<string, MonthFigures>(
    months.map((month) => [
      month,
      { month, findings: 0, opened: 0, closed: 0, open: 0, approved: 0, rejected: 0 },
    ]),
  );
  // Findings as of each month's end: the latest evaluation of each system so far, carried forward. In time
  // order, whatever order the log has them in (a writer's clock may have been off).
  const evaluations = entries
    .filter((e) => e.type === 'evaluated' && e.subject.system && e.subject.pullRequest === undefined)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const latest = new Map<string, number>();
  let next = 0;
  for (const month of months) {
    for (; next < evaluations.length && monthOf(evaluations[next]!.time) <= month; next++) {
      const e = evaluations[next]!;
      latest.set(e.subject.system!, findingsOf(e.details.findings));
    }
    figures.get(month)!.findings = [...latest.values()].reduce((a, b) => a + b, 0);
  }
  const ncs = register.nonconformities.filter((nc) => !isObservation(nc));
  for (const nc of ncs) {
    const opened = figures.get(monthOf(nc.opened.time));
    if (opened) opened.opened++;
    // A finding found again after it closed was closed more than once: each closure counts.
    for (const closure of [...nc.earlierClosures, ...(nc.closed ? [nc.closed] : [])]) {
      const closed = figures.get(monthOf(closure.time));
      if (closed) closed.closed++;
    }
    const end = nc.closed ? monthOf(nc.closed.time) : undefined;
    for (const month of months)
      if (monthOf(nc.opened.time) <= month && (end === undefined || end > month)) figures.get(month)!.open++;
  }
  for (const row of new Map(deployments.map((d) => [d.seq, d])).values()) {
    const month = figures.get(monthOf(row.time));
    if (month) month[row.decision]++;
  }
  const open = ncs.filter((nc) => !nc.closed);
  const overdue = open.filter((nc) => isOverdue(nc, context.today)).length;
  const result: Omit<Kpis, 'objectives'> = {
    months: [...figures.values()],
    findings: context.findings,
    nonconformities: {
      open: open.length,
      major: open.filter((nc) => nc.grade === 'major').length,
      minor: open.filter((nc) => nc.grade === 'minor').length,
      overdue,
    },
    observations: register.nonconformities.filter((nc) => isObservation(nc) && !nc.closed).length,
    daysToClose: {
      automatic: closureFigures(
        ncs.filter((nc) => isAutomatic(nc)),
        context.today,
      ),
      manual: closureFigures(
        ncs.filter((nc) => !isAutomatic(nc)),
        context.today,
      ),
      all: closureFigures(ncs, context.today),
    },
    overdueNonconformities: overdue,
    overdueReviews: context.overdueReviews,
  };
  return {
    ...result,
    objectives: (context.objectives ?? []).map((objective) => measure(objective, result, entries)),
  };
}

/** One objective against its target: the figure it names, or management's recorded review of it. */
function measure(
  objective: Objective,
  figures: Omit<Kpis, 'objectives'>,
  entries: readonly AuditEntry[],
): ObjectiveResult {
  if (objective.metric === 'reviewed') {
    const review = entries
      .filter((e) => e.type === 'objective.reviewed' && e.details.objective === objective.id)
      .at(-1);
    if (!review)
      return {
        objective,
        status: 'not measured',
        basis: `no objective.reviewed entry names ${objective.id}`,
      };
    const result = String(review.details.result);
    return {
      objective,
      value: result,
      status: result === 'met' ? 'met' : 'missed',
      basis: `objective.reviewed in entry ${review.seq} (${review.time.slice(0, 10)}): ${result}`,
    };
  }
  const { nonconformities: nc, daysToClose, findings } = figures;
  const value: number | undefined = {
    'open-nonconformities': nc.open,
    'open-major-nonconformities': nc.major,
    'overdue-nonconformities': nc.overdue,
    'median-days-to-close': daysToClose.all.median,
    'median-days-to-close-manual': daysToClose.manual.median,
    'median-days-to-close-automatic': daysToClose.automatic.median,
    'open-findings': findings.major + findings.minor + findings.observation,
    'open-major-findings': findings.major,
    'overdue-reviews': figures.overdueReviews,
    'rejected-deployments': figures.months.reduce((n, m) => n + m.rejected, 0),
  }[objective.metric];
  if (value === undefined)
    return { objective, status: 'not measured', basis: 'no nonconformity of that kind has closed yet' };
  const target = objective.target;
  const met =
    typeof target === 'object' && 'max' in target
      ? value <= target.max
      : typeof target === 'object'
        ? value >= target.min
        : false;
  return { objective, value, status: met ? 'met' : 'missed', basis: `${value} as of today` };
}

/** Findings of an evaluation (major, minor and observation), counts that are no count read as none. */
function findingsOf(counts: unknown): number {
  if (typeof counts !== 'object' || counts === null) return 0;
  const count = (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : 0;
  const { major, minor, observation } = counts as Record<string, unknown>;
  return count(major) + count(minor) + count(observation);
}

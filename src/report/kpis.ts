import type { AuditEntry } from '../audit/entry.js';
import { daysOpen, isOverdue, type Register } from '../audit/nonconformities.js';
import type { DeploymentRow } from './deployments.js';

/** A month of the management review's figures (ISO/IEC 42001 clause 9.3), from the log. */
export interface MonthFigures {
  month: string;
  /** Findings (major, minor, observation) at each system's last recorded evaluation by the month's end. */
  findings: number;
  opened: number;
  closed: number;
  /** Nonconformities open at the month's end. */
  open: number;
  approved: number;
  rejected: number;
}

export interface Kpis {
  months: MonthFigures[];
  /** Days from opening to closing of the nonconformities closed so far. */
  daysToClose: { median?: number; mean?: number; closed: number };
  overdueNonconformities: number;
  /** Findings of review-date rules in today's evaluation: reviews that are late. */
  overdueReviews: number;
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

/** The figures of the last twelve months, each as it stood at the month's end. */
export function kpis(
  entries: readonly AuditEntry[],
  register: Register,
  deployments: readonly DeploymentRow[],
  context: { today: string; overdueReviews: number },
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
  for (const nc of register.nonconformities) {
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
  const days = register.nonconformities
    .filter((nc) => nc.closed)
    .map((nc) => daysOpen(nc, context.today))
    .sort((a, b) => a - b);
  return {
    months: [...figures.values()],
    daysToClose: {
      closed: days.length,
      ...(days.length
        ? {
            median:
              days.length % 2
                ? days[(days.length - 1) / 2]!
                : (days[days.length / 2 - 1]! + days[days.length / 2]!) / 2,
            mean: Math.round((days.reduce((a, b) => a + b, 0) / days.length) * 10) / 10,
          }
        : {}),
    },
    overdueNonconformities: register.nonconformities.filter((nc) => isOverdue(nc, context.today)).length,
    overdueReviews: context.overdueReviews,
  };
}

/** Findings of an evaluation (major, minor and observation), counts that are no count read as none. */
function findingsOf(counts: unknown): number {
  if (typeof counts !== 'object' || counts === null) return 0;
  const count = (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : 0;
  const { major, minor, observation } = counts as Record<string, unknown>;
  return count(major) + count(minor) + count(observation);
}

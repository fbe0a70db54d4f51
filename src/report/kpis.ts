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

/**
 * The figures, a log entry at a time: per system, the latest evaluation before the twelve months and in each
 * of them; per month, the deployment decisions; per objective, its latest review. Memory grows with the
 * systems, never with the entries. Fed only entries the report counts (no forged gate decision).
 */
export class KpiFold {
  private readonly months: string[];
  private readonly index: Map<string, number>;
  /**
   * Per system: slot 0 the latest evaluation before the first month, slot i the latest in month i, each as its
   * time (ms; NaN for none) then, KPI_MONTHS + 1 further on, its findings. Numbers in one array per system:
   * an evaluation read allocates nothing the heap would keep.
   */
  private readonly evaluations = new Map<string, Float64Array>();
  private readonly decisions: Record<'approved' | 'rejected', number[]>;
  private readonly reviews = new Map<string, AuditEntry>();

  constructor(
    today: string,
    private readonly objectives: readonly Objective[] = [],
  ) {
    this.months = lastMonths(today, KPI_MONTHS);
    this.index = new Map(this.months.map((month, i) => [month, i + 1]));
    this.decisions = { approved: this.months.map(() => 0), rejected: this.months.map(() => 0) };
  }

  add(entry: AuditEntry): void {
    const month = monthOf(entry.time);
    if (entry.type === 'evaluated' && entry.subject.system && entry.subject.pullRequest === undefined) {
      // In time order, whatever order the log has them in (a writer's clock may have been off); of equal
      // times, the later in the log.
      const slot = month < this.months[0]! ? 0 : this.index.get(month);
      if (slot === undefined) return;
      let slots = this.evaluations.get(entry.subject.system);
      if (!slots) {
        slots = new Float64Array(2 * (KPI_MONTHS + 1)).fill(Number.NaN);
        this.evaluations.set(entry.subject.system, slots);
      }
      const time = Date.parse(entry.time);
      if (!(slots[slot]! > time)) {
        slots[slot] = time;
        slots[slot + KPI_MONTHS + 1] = findingsOf(entry.details.findings);
      }
    } else if (entry.type === 'deployment.approved' || entry.type === 'deployment.rejected') {
      const slot = this.index.get(month);
      if (slot !== undefined)
        this.decisions[entry.type === 'deployment.approved' ? 'approved' : 'rejected'][slot - 1]!++;
    } else if (entry.type === 'objective.reviewed') {
      const id = entry.details.objective;
      if (this.objectives.some((o) => o.id === id)) this.reviews.set(String(id), entry);
    }
  }

  /** The figures of the last twelve months, each as it stood at the month's end, and today's. */
  kpis(
    register: Register,
    context: { today: string; overdueReviews: number; findings: Record<Severity, number> },
  ): Kpis {
    const figures = new Map<string, MonthFigures>(
      this.months.map((month, i) => [
        month,
        {
          month,
          // Findings as of each month's end: the latest evaluation of each system so far, carried forward.
          findings: [...this.evaluations.values()].reduce(
            (sum, slots) => sum + latestFindings(slots, i + 1),
            0,
          ),
          opened: 0,
          closed: 0,
          open: 0,
          approved: this.decisions.approved[i]!,
          rejected: this.decisions.rejected[i]!,
        },
      ]),
    );
    const months = this.months;
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
        if (monthOf(nc.opened.time) <= month && (end === undefined || end > month))
          figures.get(month)!.open++;
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
      objectives: this.objectives.map((objective) =>
        measure(objective, result, this.reviews.get(objective.id)),
      ),
    };
  }
}

/** The findings of a system's latest evaluation in slot `slot` or before (0: none). */
function latestFindings(slots: Float64Array, slot: number): number {
  for (let i = slot; i >= 0; i--) if (!Number.isNaN(slots[i]!)) return slots[i + KPI_MONTHS + 1]!;
  return 0;
}

/** The figures of a log already read (a test's few entries): the fold, over them. */
export function kpis(
  entries: Iterable<AuditEntry>,
  register: Register,
  context: {
    today: string;
    overdueReviews: number;
    findings: Record<Severity, number>;
    objectives?: readonly Objective[];
  },
): Kpis {
  const fold = new KpiFold(context.today, context.objectives);
  for (const entry of entries) fold.add(entry);
  return fold.kpis(register, context);
}

/** One objective against its target: the figure it names, or management's recorded review of it. */
function measure(
  objective: Objective,
  figures: Omit<Kpis, 'objectives'>,
  /** Its latest objective.reviewed entry. */
  review: AuditEntry | undefined,
): ObjectiveResult {
  if (objective.metric === 'reviewed') {
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

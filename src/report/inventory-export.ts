import type { AuditEntry } from '../audit/entry.js';
import { groupBy } from '../group.js';
import type { DocumentKind, Evaluation } from '../types.js';

/** One row of the AI-system inventory, as an auditor's scope and a management review read it. */
export interface InventoryRow {
  id: string;
  path: string;
  owner: string;
  tier: string;
  status: string;
  /** Document kinds the policy requires of this system, and those it has. */
  required: DocumentKind[];
  present: DocumentKind[];
  /** The last "evaluated" event for it in the log: when, and its verdict. */
  lastEvaluation: string;
  /** The last approved deployment per environment that changed this system (older decisions count for each). */
  lastDeployment: Record<string, string>;
  /** Where the repository and the log disagree: a system only in the log, or retired there but not in its card. */
  warning: string;
}

const REQUIRED_BY: Record<string, DocumentKind> = {
  'card.required': 'model-card',
  'risk.required': 'risk-assessment',
  'impact.required': 'impact-assessment',
};

/**
 * The inventory of AI systems, reconciled with the audit log: every system of the repository with its owner,
 * tier, status and documents, its last evaluation and last approved deployment per environment from the log,
 * and every system the log knows that the repository no longer has.
 */
export function inventoryRows(evaluation: Evaluation, entries: AuditEntry[]): InventoryRow[] {
  const grouped = groupBy(entries, (entry) => entry.subject?.system);
  const repositoryWide = grouped.get(undefined) ?? [];
  const bySystem = new Map([...grouped].filter((g): g is [string, AuditEntry[]] => g[0] !== undefined));
  // A gate decision names the systems it deployed (details.systems); an older one, without, counts for each.
  const concerns = (entry: AuditEntry, id: string) => {
    const systems = entry.details?.systems;
    return !Array.isArray(systems) || systems.includes(id);
  };
  const history = (id: string) =>
    [...(bySystem.get(id) ?? []), ...repositoryWide.filter((e) => concerns(e, id))].sort(
      (a, b) => a.seq - b.seq,
    );
  const rows: InventoryRow[] = evaluation.systems.map((system) => {
    const present = Object.keys(system.documents) as DocumentKind[];
    const missing = evaluation.findings
      .filter((f) => f.system === system.id && REQUIRED_BY[f.rule])
      .map((f) => REQUIRED_BY[f.rule]!);
    const log = history(system.id);
    const retired = log.some((e) => e.type === 'system.retired' && e.subject?.system === system.id);
    return {
      id: system.id,
      path: system.path,
      owner: system.owner ?? '',
      tier: system.tier ?? '',
      status: system.status ?? '',
      required: [...new Set([...present, ...missing])],
      present,
      ...facts(log),
      warning:
        retired && system.status !== 'retired'
          ? `retired in the log, but its documents say ${system.status ?? 'no status'}`
          : '',
    };
  });
  const known = new Set(evaluation.systems.flatMap((s) => [s.id, s.path]));
  for (const [id, log] of bySystem) {
    if (known.has(id)) continue;
    const retired = log.some((e) => e.type === 'system.retired');
    rows.push({
      id,
      path: '',
      owner: '',
      tier: '',
      status: retired ? 'retired' : '',
      required: [],
      present: [],
      ...facts(history(id)),
      warning: retired
        ? 'retired: known only from the log'
        : 'in the log but not in the repository, and never recorded as retired',
    });
  }
  return rows;
}

function facts(log: AuditEntry[]): Pick<InventoryRow, 'lastEvaluation' | 'lastDeployment'> {
  const evaluated = log.filter((e) => e.type === 'evaluated').at(-1);
  const lastDeployment: Record<string, string> = {};
  for (const e of log)
    if (e.type === 'deployment.approved' && e.subject?.environment)
      lastDeployment[e.subject.environment] =
        `${e.time.slice(0, 10)} ${e.subject.commit?.slice(0, 7) ?? ''}`.trim();
  return {
    lastEvaluation: evaluated
      ? `${evaluated.time.slice(0, 10)} ${String(evaluated.details?.verdict ?? '')}`.trim()
      : '',
    lastDeployment,
  };
}

/** RFC 4180 CSV: a header, a row per system; environments as columns `deployed:<name>`. */
export function inventoryCsv(rows: InventoryRow[]): string {
  const environments = [...new Set(rows.flatMap((r) => Object.keys(r.lastDeployment)))].sort();
  const header = [
    'id',
    'path',
    'owner',
    'tier',
    'status',
    'documents required',
    'documents present',
    'last evaluation',
    ...environments.map((e) => `deployed:${e}`),
    'warning',
  ];
  const line = (cells: string[]) => cells.map(csvCell).join(',');
  return `${[
    line(header),
    ...rows.map((r) =>
      line([
        r.id,
        r.path,
        r.owner,
        r.tier,
        r.status,
        r.required.join(' '),
        r.present.join(' '),
        r.lastEvaluation,
        ...environments.map((e) => r.lastDeployment[e] ?? ''),
        r.warning,
      ]),
    ),
  ].join('\r\n')}\r\n`;
}

/** A plain number: a spreadsheet shows it as it is. A handle (@acme/ml) is not one: Excel reads @ as a formula. */
const SHOWN_AS_IS = /^[-+]?\d+(\.\d+)?$/;

/**
 * A cell quoted when it must be. One a spreadsheet would read as a formula (a leading = + - @, tab or carriage
 * return, as OWASP lists them) is prefixed with ' so it is shown, not run; a plain number is not.
 */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !SHOWN_AS_IS.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

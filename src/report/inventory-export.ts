import type { AuditEntry } from '../audit/entry.js';
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

/** The latest entry of a kind, as the log's order by sequence number has it (an entry of a system's own first). */
interface Latest {
  seq: number;
  /** 0: about the system itself; 1: about the whole repository (a gate decision that names its systems, or none). */
  rank: number;
  /** Where it is in the log. */
  line: number;
  text: string;
}

interface LogFacts {
  evaluated?: Latest;
  /** Per environment, the first and the last approved deployment. */
  deployed: Map<string, { first: Latest; last: Latest }>;
  retired: boolean;
}

const later = (a: Latest | undefined, b: Latest | undefined): Latest | undefined =>
  !a || (b && (b.seq - a.seq || b.rank - a.rank || b.line - a.line) > 0) ? b : a;

const noFacts = (): LogFacts => ({ deployed: new Map(), retired: false });

/**
 * What the inventory needs of the audit log, kept as it is read an entry at a time: per system, its last
 * evaluation, its last approved deployment per environment and whether it was retired. A million entries cost
 * the memory of the systems they name, never of the entries.
 */
export class InventoryLog {
  /** Facts from each system's own entries, in the order the log first names them. */
  private readonly own = new Map<string, LogFacts>();
  /** From entries about the whole repository that name the systems they concern (a gate decision's list). */
  private readonly listed = new Map<string, LogFacts>();
  /** From entries about the whole repository that name none: they count for every system. */
  private readonly everyone = noFacts();
  private lines = 0;

  add(entry: AuditEntry): void {
    const line = this.lines++;
    const id = entry.subject?.system;
    if (id !== undefined) {
      const facts = this.own.get(id) ?? noFacts();
      this.own.set(id, facts);
      note(facts, entry, 0, line);
      if (entry.type === 'system.retired') facts.retired = true;
      return;
    }
    // A gate decision names the systems it deployed (details.systems); an older one, without, counts for each.
    const systems = entry.details?.systems;
    if (!Array.isArray(systems)) {
      note(this.everyone, entry, 1, line);
      return;
    }
    for (const system of new Set(systems.filter((s): s is string => typeof s === 'string'))) {
      const facts = this.listed.get(system) ?? noFacts();
      this.listed.set(system, facts);
      note(facts, entry, 1, line);
    }
  }

  /** The last evaluation and deployments of a system, from its own entries and the repository's. */
  facts(id: string): Pick<InventoryRow, 'lastEvaluation' | 'lastDeployment'> & { retired: boolean } {
    const sources = [this.own.get(id), this.listed.get(id), this.everyone].filter((f) => f !== undefined);
    let evaluated: Latest | undefined;
    const deployed = new Map<string, { first: Latest; last: Latest }>();
    for (const facts of sources) {
      evaluated = later(evaluated, facts.evaluated);
      for (const [environment, { first, last }] of facts.deployed)
        deployed.set(environment, merged(deployed.get(environment), first, last));
    }
    // Environments in the order of their first deployment, as a replay of the log names them.
    const ordered = [...deployed].sort(([, a], [, b]) => (later(a.first, b.first) === b.first ? -1 : 1));
    return {
      lastEvaluation: evaluated?.text ?? '',
      lastDeployment: Object.fromEntries(ordered.map(([environment, { last }]) => [environment, last.text])),
      retired: this.own.get(id)?.retired ?? false,
    };
  }

  /** Systems the log names by their own entries, in the order it first names them. */
  systems(): string[] {
    return [...this.own.keys()];
  }
}

function note(facts: LogFacts, entry: AuditEntry, rank: number, line: number): void {
  const at = { seq: entry.seq, rank, line };
  if (entry.type === 'evaluated')
    facts.evaluated = later(facts.evaluated, {
      ...at,
      text: `${entry.time.slice(0, 10)} ${String(entry.details?.verdict ?? '')}`.trim(),
    });
  const environment = entry.subject?.environment;
  if (entry.type === 'deployment.approved' && environment) {
    const latest = {
      ...at,
      text: `${entry.time.slice(0, 10)} ${entry.subject.commit?.slice(0, 7) ?? ''}`.trim(),
    };
    facts.deployed.set(environment, merged(facts.deployed.get(environment), latest, latest));
  }
}

function merged(known: { first: Latest; last: Latest } | undefined, first: Latest, last: Latest) {
  return known
    ? { first: later(known.first, first) === first ? known.first : first, last: later(known.last, last)! }
    : { first, last };
}

/** Rows in natural order: c2 before c10, as a person reads them. */
const natural = new Intl.Collator(undefined, { numeric: true });

/**
 * The inventory of AI systems, reconciled with the audit log: every system of the repository with its owner,
 * tier, status and documents, its last evaluation and last approved deployment per environment from the log,
 * and every system the log knows that the repository no longer has. Linear in systems, findings and entries.
 */
export function inventoryRows(
  evaluation: Evaluation,
  entries: Iterable<AuditEntry> | InventoryLog,
): InventoryRow[] {
  const log = entries instanceof InventoryLog ? entries : new InventoryLog();
  if (!(entries instanceof InventoryLog)) for (const entry of entries) log.add(entry);
  // The documents a system lacks, from the findings of the rules that require them: grouped once.
  const missing = new Map<string, DocumentKind[]>();
  for (const f of evaluation.findings) {
    const kind = REQUIRED_BY[f.rule];
    if (!kind || f.system === undefined) continue;
    const kinds = missing.get(f.system);
    if (kinds) kinds.push(kind);
    else missing.set(f.system, [kind]);
  }
  const rows: InventoryRow[] = evaluation.systems.map((system) => {
    const present = Object.keys(system.documents) as DocumentKind[];
    const { retired, ...facts } = log.facts(system.id);
    return {
      id: system.id,
      path: system.path,
      owner: system.owner ?? '',
      tier: system.tier ?? '',
      status: system.status ?? '',
      required: [...new Set([...present, ...(missing.get(system.id) ?? [])])],
      present,
      ...facts,
      warning:
        retired && system.status !== 'retired'
          ? `retired in the log, but its documents say ${system.status ?? 'no status'}`
          : '',
    };
  });
  const known = new Set(evaluation.systems.flatMap((s) => [s.id, s.path]));
  for (const id of log.systems()) {
    if (known.has(id)) continue;
    const { retired, ...facts } = log.facts(id);
    rows.push({
      id,
      path: '',
      owner: '',
      tier: '',
      status: retired ? 'retired' : '',
      required: [],
      present: [],
      ...facts,
      warning: retired
        ? 'retired: known only from the log'
        : 'in the log but not in the repository, and never recorded as retired',
    });
  }
  return rows.sort((a, b) => natural.compare(a.id, b.id) || natural.compare(a.path, b.path));
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

import type { AnchorReport } from '../audit/anchors.js';
import type { AuditEntry } from '../audit/entry.js';
import type { CheckedFile } from '../audit/evidence.js';
import { isOverdue, type Nonconformity, registerFold } from '../audit/nonconformities.js';
import { readEntries } from '../audit/read.js';
import { claimsGate, isGateKey, type SignerCheck, signerOf, type TrustedKey } from '../audit/signature.js';
import type { AuditStore } from '../audit/store.js';
import type { VerifyResult } from '../audit/verify.js';
import { nonconformityKey } from '../fingerprint.js';
import type { Evaluation, Finding, SystemSummary, WaiverResult } from '../types.js';
import { ApplicabilityFold, type ApplicabilityRow } from './applicability.js';
import { ClauseFold, type ClauseReport } from './clauses.js';
import type { DocumentControl } from './control.js';
import { DeploymentRegister, type DeploymentRow, deploymentRow, gateSignature } from './deployments.js';
import { KpiFold, type Kpis } from './kpis.js';
import { Ring } from './tail.js';
import { openFindings, plural } from './words.js';

export type { ApplicabilityRow } from './applicability.js';

export interface AuditorReport {
  generated: string;
  today: string;
  /** What makes it controlled documented information: id, organisation, period, commit, sign-off. */
  control?: DocumentControl;
  /** The files entries cite as evidence to the period's end, each against the working tree; problems first. */
  evidence?: CheckedFile[];
  /** How many cited file versions are not listed: only EVIDENCE_LIMIT are. */
  moreEvidence?: number;
  log: {
    path: string;
    found: boolean;
    verification?: VerifyResult;
    checkpointGiven: boolean;
    /** Lines of the log that are no entries: reported, never skipped silently. */
    badLines?: number[];
    /**
     * The period, dates inclusive: only entries within it are listed and counted; the registers and figures
     * stand as at `until` (entries after it are not read).
     */
    since?: string;
    until?: string;
    /** The log's RFC 3161 anchors as verify checked them; `trusted`: against a TSA certificate the auditor gave. */
    anchors?: { reports: AnchorReport[]; ok: boolean; trusted: boolean };
  };
  evaluation: Evaluation;
  /** Each system's latest events (at most timelineLimit), with how many earlier ones are not listed. */
  systems: { summary?: SystemSummary; id: string; events: AuditEntry[]; earlier: number }[];
  /** Events listed per system: TIMELINE_LIMIT, fewer when many systems share TIMELINE_BUDGET. */
  timelineLimit: number;
  /** Approvals recorded outside a gate decision (older logs, the example): the latest DEPLOYMENT_LIMIT. */
  approvals: AuditEntry[];
  earlierApprovals: number;
  deployments: DeploymentRow[];
  /** How many deployment decisions are not listed: only the latest DEPLOYMENT_LIMIT are. */
  earlierDeployments: number;
  nonconformities: (Nonconformity & { message?: string; overdue: boolean })[];
  registerProblems: string[];
  kpis: Kpis;
  findingsByControl: { control: string; title: string; findings: Finding[] }[];
  waivers: WaiverResult[];
  applicability: ApplicabilityRow[];
  /** Clauses 4 to 10 and the internal audit programme, as the log and the documents evidence them. */
  clauses: ClauseReport;
  /** Event types and the number of events within the period. */
  eventTypes: string[];
  totalEvents: number;
  /**
   * Who signed each listed entry that is signed or claims to be the gate's, by sequence number, where the
   * report was given the trusted keys: `forged` for a claim no gate key signed.
   */
  /** `vouched`: signed by a trusted person's key naming the entry's login, so the login is no longer merely typed. */
  signatures?: Record<number, { signer: string; forged: boolean; vouched: boolean }>;
}

/**
 * Events listed per system (at most TIMELINE_LIMIT, fewer when there are many systems, so that all of them
 * list at most TIMELINE_BUDGET together), and deployment decisions listed: a report of a million entries stays
 * a few megabytes a browser opens at once.
 */
export const TIMELINE_LIMIT = 100;
/** The timeline of entries about no AI system: the management system's own (reviews, audits, policy). */
export const ORGANISATION = '(organisation)';
/** Why a timeline has no system in the repository: the organisation's, or a system since removed. */
export const timelineNote = (system: { id: string; summary?: unknown }): string =>
  system.summary
    ? ''
    : system.id === ORGANISATION
      ? 'the management system, no AI system'
      : 'no longer in the repository';
const TIMELINE_BUDGET = 5_000;
const TIMELINE_FLOOR = 3;
export const DEPLOYMENT_LIMIT = 500;

/**
 * What the timelines leave out, when they do: the bound, and where the rest is. Empty when every event of the
 * period is listed.
 */
export function timelineBoundWords(
  report: Pick<AuditorReport, 'systems' | 'totalEvents' | 'timelineLimit' | 'log'>,
): string {
  const listed = report.systems.reduce((n, s) => n + s.events.length, 0);
  if (listed === report.totalEvents) return '';
  return `${listed.toLocaleString('en')} of the period's ${report.totalEvents.toLocaleString('en')} events are listed: each system's latest ${report.timelineLimit} (${TIMELINE_LIMIT} at most, fewer as more systems share ${TIMELINE_BUDGET.toLocaleString('en')}, never fewer than ${TIMELINE_FLOOR}: the report stays a document one can open). Every event is in the log ${report.log.path}: aims-gate log lists them (--system, --type, --since), and report --since/--until narrows the period.`;
}

/** The approvals recorded outside a gate decision that are not listed, in words (empty when all are). */
export function earlierApprovalsWords(report: AuditorReport): string {
  return report.earlierApprovals
    ? `The latest ${report.approvals.length}; ${plural(report.earlierApprovals, 'earlier one')} ${report.earlierApprovals === 1 ? 'is' : 'are'} in the log (aims-gate log --type approval.given).`
    : '';
}

export const EVIDENCE_LIMIT = 500;

/**
 * The day a report's registers and figures stand at: the period's end, or the evaluation's day where the period
 * runs past it. What is overdue, and each objective's figure, is judged then, never later.
 */
export function asOfPeriodEnd(today: string, until: string | undefined): string {
  return until && until < today ? until : today;
}

/** Whether a time (ISO, or a date) falls within the period, whose bounds are dates and inclusive. */
export function inPeriod(time: string, period: { since?: string; until?: string }): boolean {
  const day = time.slice(0, 10);
  return (!period.since || day >= period.since) && (!period.until || day <= period.until);
}

/**
 * A nonconformity with what today's evaluation says of it: a finding's controls and title come from its rule,
 * and while it is open, its message.
 */
function described(
  nc: Nonconformity,
  evaluation: Evaluation,
  asOf: string,
): AuditorReport['nonconformities'][number] {
  const rule = nc.rule ? evaluation.rules.find((r) => r.id === nc.rule) : undefined;
  const messages = nc.key
    ? evaluation.findings
        .filter((f) => f.rule === nc.rule && f.system === nc.system && nonconformityKey(f) === nc.key)
        .map((f) => f.message)
    : [];
  return {
    ...nc,
    ...(rule ? { title: `${rule.title} (${rule.id})`, controls: rule.controls } : {}),
    ...(messages.length && !nc.closed ? { message: messages.join('; ') } : {}),
    overdue: isOverdue(nc, asOf),
  };
}

/** What the report is built from besides the log's entries. */
export interface ReportInput {
  evaluation: Evaluation;
  log: AuditorReport['log'];
  generated: string;
  /** The configuration's signers: with them, each gate decision shows who signed it, and forgeries are marked. */
  trusted?: readonly TrustedKey[];
  control?: DocumentControl;
  evidence?: CheckedFile[];
  /** Earlier versions of cited files not kept (EvidenceIndex): counted with those not listed. */
  omittedEvidence?: number;
}

/**
 * Everything the auditor's report shows, as a fold over the log: fed its entries once, in log order, an entry
 * at a time, each part keeps only what it shows (counts, the latest entries it lists, the registers, the
 * figures' months), so a log of a million entries costs the memory of what the report lists, not of the log.
 * Then rendered as Markdown or HTML without further work.
 */
export class AuditorFold {
  private readonly register: ReturnType<typeof registerFold>;
  private readonly deploymentRegister: DeploymentRegister;
  /** Deployment rows in the period: the line of the decision, which of its systems, the evaluation it links to. */
  private readonly deployments = new Ring(DEPLOYMENT_LIMIT, 3);
  private readonly kpis: KpiFold;
  private readonly applicability: ApplicabilityFold;
  private readonly clauses: ClauseFold;
  /** Per AI system (the organisation's own entries under ORGANISATION), the lines of its latest events in the period. */
  private readonly timelines = new Map<string, Ring>();
  private readonly known: Set<string>;
  private limit = TIMELINE_LIMIT;
  private readonly approvals = new Ring(DEPLOYMENT_LIMIT);
  private readonly types = new Set<string>();
  /** The entries listed, by line, as the second pass fetched them. */
  private readonly kept = new Map<number, AuditEntry>();

  constructor(private readonly input: Omit<ReportInput, 'control' | 'evidence' | 'omittedEvidence'>) {
    const { evaluation, trusted } = input;
    this.register = registerFold(trusted ? { trusted } : {});
    this.deploymentRegister = new DeploymentRegister();
    // The twelve months to the period's end.
    this.kpis = new KpiFold(input.log.until ?? evaluation.today, evaluation.policy.objectives ?? []);
    this.applicability = new ApplicabilityFold(
      evaluation,
      input.log,
      (entry) => this.gateWritten(entry),
      (entry) => trusted !== undefined && this.signerCheck(entry, trusted).status === 'signed',
    );
    this.clauses = new ClauseFold(evaluation, asOfPeriodEnd(evaluation.today, input.log.until));
    this.known = new Set(evaluation.systems.map((s) => s.id));
    this.lowerLimit(this.known.size);
    for (const id of this.known) this.timelines.set(id, new Ring(this.limit));
  }

  /** Written by the gate: signed by a gate or app key the configuration lists (a gate claim is, once not forged). */
  private gateWritten(entry: AuditEntry): boolean {
    const { trusted } = this.input;
    return trusted !== undefined && (claimsGate(entry) || isGateKey(this.signerCheck(entry, trusted)));
  }

  /** The entry being folded, checked once: several parts ask who signed it, and each check is an Ed25519 verify. */
  private signed?: { entry: AuditEntry; check: SignerCheck };
  private signerCheck(entry: AuditEntry, trusted: readonly TrustedKey[]): SignerCheck {
    if (this.signed?.entry !== entry) this.signed = { entry, check: signerOf(entry, trusted) };
    return this.signed.check;
  }

  /** Each system lists fewer events as systems are found, so that all list at most TIMELINE_BUDGET together. */
  private lowerLimit(systems: number): void {
    const limit = Math.max(
      TIMELINE_FLOOR,
      Math.min(TIMELINE_LIMIT, Math.floor(TIMELINE_BUDGET / Math.max(1, systems))),
    );
    if (limit >= this.limit) return;
    this.limit = limit;
    for (const timeline of this.timelines.values()) timeline.lower(limit);
  }

  /**
   * The first pass: each entry in log order, with its line. Everything but the entries listed is folded here;
   * those are noted by line, for the second pass to fetch (`wanted`, `keep`).
   */
  add(entry: AuditEntry, line: number): void {
    const { since, until } = this.input.log;
    // As at the period's end: what happened after it is not read at all.
    if (until && !inPeriod(entry.time, { until })) return;
    const { trusted } = this.input;
    // A gate decision no gate key signed is shown as forged, and neither counted nor cited as evidence.
    const forged = trusted !== undefined && claimsGate(entry) && !isGateKey(this.signerCheck(entry, trusted));
    const listed = !since || inPeriod(entry.time, { since });
    const rows = this.deploymentRegister.add(entry);
    if (listed) for (let i = 0; i < rows.length; i++) this.deployments.push(line, i, rows[i]);
    if (!forged) {
      this.register.add(entry);
      this.kpis.add(entry);
      this.applicability.add(entry);
      this.clauses.add(entry);
    }
    if (!listed) return;
    const id = entry.subject.system ?? ORGANISATION;
    let timeline = this.timelines.get(id);
    if (!timeline) {
      this.lowerLimit(this.timelines.size + 1);
      timeline = new Ring(this.limit);
      this.timelines.set(id, timeline);
    }
    timeline.push(line);
    if (entry.type.startsWith('approval.')) this.approvals.push(line);
    this.types.add(entry.type);
  }

  /** The lines of the entries the report lists: what the second pass fetches. */
  wanted(): Set<number> {
    return new Set(
      [...this.timelines.values(), this.approvals, this.deployments].flatMap((ring) =>
        ring.list().map(([line]) => line!),
      ),
    );
  }

  /** The second pass: an entry `wanted` named. */
  keep(line: number, entry: AuditEntry): void {
    this.kept.set(line, entry);
  }

  private entryAt(line: number): AuditEntry {
    const entry = this.kept.get(line);
    if (!entry)
      throw new Error(`line ${line} of the audit log changed while the report read it: run the report again`);
    return entry;
  }

  report(extra: Pick<ReportInput, 'control' | 'evidence' | 'omittedEvidence'> = {}): AuditorReport {
    const { evaluation, trusted } = this.input;
    const { since, until } = this.input.log;
    const asOf = asOfPeriodEnd(evaluation.today, until);
    const entries = (ring: Ring) => ring.list().map(([line]) => this.entryAt(line!));
    const systems = [
      ...evaluation.systems.map((summary) => ({ summary, id: summary.id })),
      ...[...this.timelines.keys()].filter((id) => !this.known.has(id)).map((id) => ({ id })),
    ].map((system) => {
      const timeline = this.timelines.get(system.id)!;
      return { ...system, events: entries(timeline), earlier: timeline.earlier };
    });
    const open = openFindings(evaluation);
    const register = this.register.register();
    // Problems first: a missing or changed file is what an auditor looks for.
    const evidence = [...(extra.evidence ?? [])].sort(
      (a, b) =>
        Number(a.state === 'matches' || a.state === 'superseded') -
        Number(b.state === 'matches' || b.state === 'superseded'),
    );
    const freshness = new Set(evaluation.rules.filter((r) => r.kind === 'freshness').map((r) => r.id));
    const approvals = entries(this.approvals);
    const totalEvents = [...this.timelines.values()].reduce((n, t) => n + t.count, 0);
    return {
      generated: this.input.generated,
      today: evaluation.today,
      ...(extra.control ? { control: extra.control } : {}),
      ...(extra.evidence
        ? {
            evidence: evidence.slice(0, EVIDENCE_LIMIT),
            moreEvidence: Math.max(0, evidence.length - EVIDENCE_LIMIT) + (extra.omittedEvidence ?? 0),
          }
        : {}),
      log: this.input.log,
      evaluation,
      systems,
      timelineLimit: this.limit,
      approvals,
      earlierApprovals: this.approvals.earlier,
      deployments: this.deployments
        .list()
        .map(([line, index, evaluation]) => deploymentRow(this.entryAt(line!), index!, evaluation!, trusted)),
      earlierDeployments: this.deployments.earlier,
      nonconformities: register.nonconformities
        .filter((nc) => !nc.closed || inPeriod(nc.closed.time, { since }))
        .map((nc) => described(nc, evaluation, asOf)),
      registerProblems: register.problems,
      kpis: monthsSince(
        since,
        this.kpis.kpis(register, {
          today: asOf,
          overdueReviews: open.filter((f) => freshness.has(f.rule)).length,
          findings: {
            major: open.filter((f) => f.severity === 'major').length,
            minor: open.filter((f) => f.severity === 'minor').length,
            observation: open.filter((f) => f.severity === 'observation').length,
          },
        }),
      ),
      findingsByControl: evaluation.controls
        .map((c) => ({
          control: c.control,
          title: c.title,
          findings: open.filter((f) => f.controls.includes(c.control)),
        }))
        .filter((c) => c.findings.length > 0),
      waivers: evaluation.waivers,
      applicability: this.applicability.rows(register.nonconformities.filter((nc) => !nc.closed)),
      clauses: this.clauses.report(register.nonconformities),
      eventTypes: [...this.types].sort(),
      totalEvents,
      ...(trusted
        ? { signatures: signaturesOf([...systems.flatMap((s) => s.events), ...approvals], trusted) }
        : {}),
    };
  }
}

/**
 * A stored log read into the fold: a first pass folds every entry (`onEntry` sees each too), a second parses
 * only the lines of the entries the report lists.
 */
export async function foldLog(
  store: Pick<AuditStore, 'lines'>,
  fold: AuditorFold,
  onEntry: (entry: AuditEntry) => void = () => {},
  onBadLine?: (line: number) => void,
): Promise<void> {
  const at = { line: 0 };
  for await (const entry of readEntries(store, {}, onBadLine, at)) {
    onEntry(entry);
    fold.add(entry, at.line);
  }
  const lines = fold.wanted();
  const again = { line: 0 };
  if (lines.size)
    for await (const entry of readEntries(store, { lines }, undefined, again)) fold.keep(again.line, entry);
}

/** The report of a log already read (a test's entries, an array): the fold, over them. */
export function buildAuditorReport(input: ReportInput & { entries: Iterable<AuditEntry> }): AuditorReport {
  const entries = [...input.entries];
  const fold = new AuditorFold(input);
  for (const [i, entry] of entries.entries()) fold.add(entry, i + 1);
  for (const line of fold.wanted()) fold.keep(line, entries[line - 1]!);
  return fold.report(input);
}

/** The figures' months from the period's first (whole months: a month the period starts in is shown whole). */
function monthsSince(since: string | undefined, figures: Kpis): Kpis {
  return since ? { ...figures, months: figures.months.filter((m) => m.month >= since.slice(0, 7)) } : figures;
}

/** Who signed the entries the report lists: those signed, and every one that claims to be the gate's. */
function signaturesOf(
  listed: AuditEntry[],
  trusted: readonly TrustedKey[],
): NonNullable<AuditorReport['signatures']> {
  const out: NonNullable<AuditorReport['signatures']> = {};
  for (const entry of listed)
    if (entry.sig !== undefined || claimsGate(entry)) {
      const signed = gateSignature(entry, trusted);
      out[entry.seq] = {
        signer: signed.signer,
        forged: claimsGate(entry) && signed.forged,
        vouched: signed.vouched,
      };
    }
  return out;
}

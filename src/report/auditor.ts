import type { AnchorReport } from '../audit/anchors.js';
import type { AuditEntry } from '../audit/entry.js';
import type { CheckedFile } from '../audit/evidence.js';
import { isOverdue, type Nonconformity, nonconformityRegister } from '../audit/nonconformities.js';
import { claimsGate, isGateKey, signerOf, type TrustedKey } from '../audit/signature.js';
import type { VerifyResult } from '../audit/verify.js';
import { nonconformityKey } from '../fingerprint.js';
import { groupBy } from '../group.js';
import type { Evaluation, Finding, SystemSummary, WaiverResult } from '../types.js';
import { type ApplicabilityRow, applicabilityRows } from './applicability.js';
import { type ClauseReport, clauseReport } from './clauses.js';
import type { DocumentControl } from './control.js';
import { type DeploymentRow, deploymentRegister, gateSignature } from './deployments.js';
import { type Kpis, kpis } from './kpis.js';
import { openFindings } from './words.js';

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
  /** Each system's latest events (at most TIMELINE_LIMIT), with how many earlier ones are not listed. */
  systems: { summary?: SystemSummary; id: string; events: AuditEntry[]; earlier: number }[];
  /** Approvals recorded outside a gate decision (older logs, the example). */
  approvals: AuditEntry[];
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
export const DEPLOYMENT_LIMIT = 500;
export const EVIDENCE_LIMIT = 500;

/** Whether a time (ISO, or a date) falls within the period, whose bounds are dates and inclusive. */
export function inPeriod(time: string, period: { since?: string; until?: string }): boolean {
  const day = time.slice(0, 10);
  return (!period.since || day >= period.since) && (!period.until || day <= period.until);
}

/**
 * A nonconformity with what today's evaluation says of it: a finding's controls and title come from its rule,
 * and while it is open, its message.
 */
function described(nc: Nonconformity, evaluation: Evaluation): AuditorReport['nonconformities'][number] {
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
    overdue: isOverdue(nc, evaluation.today),
  };
}

/**
 * Everything the auditor's report shows, as data: built once from the log, its verification and the
 * evaluation of the current documents, then rendered as Markdown or HTML without further work.
 */
export function buildAuditorReport(input: {
  evaluation: Evaluation;
  entries: AuditEntry[];
  log: AuditorReport['log'];
  generated: string;
  /** The configuration's signers: with them, each gate decision shows who signed it, and forgeries are marked. */
  trusted?: readonly TrustedKey[];
  control?: DocumentControl;
  evidence?: CheckedFile[];
}): AuditorReport {
  const { evaluation, trusted } = input;
  const { since, until } = input.log;
  // As at the period's end: what happened after it is not read at all.
  const read = until ? input.entries.filter((e) => inPeriod(e.time, { until })) : input.entries;
  // A gate decision no gate key signed is shown as forged, and neither counted nor cited as evidence.
  const forged = new Set<number>();
  if (trusted)
    for (const entry of read)
      if (claimsGate(entry) && gateSignature(entry, trusted).forged) forged.add(entry.seq);
  const entries = forged.size ? read.filter((e) => !forged.has(e.seq)) : read;
  // Written by the gate: signed by a gate or app key the configuration lists (a gate claim is, once not forged).
  const gateWritten = (entry: AuditEntry) =>
    trusted !== undefined &&
    (claimsGate(entry) ? !forged.has(entry.seq) : isGateKey(signerOf(entry, trusted)));
  const listed = since ? read.filter((e) => inPeriod(e.time, { since })) : read;
  const bySystem = groupBy(listed, (entry) => entry.subject.system ?? ORGANISATION);
  const known = new Set(evaluation.systems.map((s) => s.id));
  const systemCount = new Set([...known, ...bySystem.keys()]).size;
  const limit = Math.max(3, Math.min(TIMELINE_LIMIT, Math.floor(TIMELINE_BUDGET / Math.max(1, systemCount))));
  const latest = (events: AuditEntry[] = []) => ({
    events: events.slice(-limit),
    earlier: Math.max(0, events.length - limit),
  });
  const systems = [
    ...evaluation.systems.map((summary) => ({
      summary,
      id: summary.id,
      ...latest(bySystem.get(summary.id)),
    })),
    ...[...bySystem].filter(([id]) => !known.has(id)).map(([id, events]) => ({ id, ...latest(events) })),
  ];
  const open = openFindings(evaluation);
  const register = nonconformityRegister(entries, trusted ? { trusted } : {});
  const deployments = deploymentRegister(read, trusted);
  const listedDeployments = since ? deployments.filter((d) => inPeriod(d.time, { since })) : deployments;
  // Problems first: a missing or changed file is what an auditor looks for.
  const evidence = [...(input.evidence ?? [])].sort(
    (a, b) =>
      Number(a.state === 'matches' || a.state === 'superseded') -
      Number(b.state === 'matches' || b.state === 'superseded'),
  );
  const freshness = new Set(evaluation.rules.filter((r) => r.kind === 'freshness').map((r) => r.id));
  return {
    generated: input.generated,
    today: evaluation.today,
    ...(input.control ? { control: input.control } : {}),
    ...(input.evidence
      ? {
          evidence: evidence.slice(0, EVIDENCE_LIMIT),
          moreEvidence: Math.max(0, evidence.length - EVIDENCE_LIMIT),
        }
      : {}),
    log: input.log,
    evaluation,
    systems,
    approvals: listed.filter((e) => e.type.startsWith('approval.')).slice(-DEPLOYMENT_LIMIT),
    deployments: listedDeployments.slice(-DEPLOYMENT_LIMIT),
    earlierDeployments: Math.max(0, listedDeployments.length - DEPLOYMENT_LIMIT),
    nonconformities: register.nonconformities
      .filter((nc) => !nc.closed || inPeriod(nc.closed.time, { since }))
      .map((nc) => described(nc, evaluation)),
    registerProblems: register.problems,
    kpis: monthsSince(
      since,
      kpis(
        entries,
        register,
        deployments.filter((d) => !d.forged),
        {
          // The twelve months to the period's end.
          today: until ?? evaluation.today,
          overdueReviews: open.filter((f) => freshness.has(f.rule)).length,
          findings: {
            major: open.filter((f) => f.severity === 'major').length,
            minor: open.filter((f) => f.severity === 'minor').length,
            observation: open.filter((f) => f.severity === 'observation').length,
          },
          objectives: evaluation.policy.objectives ?? [],
        },
      ),
    ),
    findingsByControl: evaluation.controls
      .map((c) => ({
        control: c.control,
        title: c.title,
        findings: open.filter((f) => f.controls.includes(c.control)),
      }))
      .filter((c) => c.findings.length > 0),
    waivers: evaluation.waivers,
    applicability: applicabilityRows(
      evaluation,
      input.log,
      entries,
      register.nonconformities.filter((nc) => !nc.closed),
      gateWritten,
    ),
    clauses: clauseReport(evaluation, entries, register.nonconformities),
    eventTypes: [...new Set(listed.map((e) => e.type))].sort(),
    totalEvents: listed.length,
    ...(trusted
      ? {
          signatures: signaturesOf(
            [...systems.flatMap((s) => s.events), ...listed.filter((e) => e.type.startsWith('approval.'))],
            trusted,
          ),
        }
      : {}),
  };
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

import type { AuditEntry } from '../audit/entry.js';
import { missingDetails } from '../audit/entry.js';
import type { VerifyResult } from '../audit/verify.js';
import { annexA, cleanStatus, EVENT_LOG_CONTROL, GATE_WRITTEN_CONTROLS, LOG_EVIDENCE } from '../controls.js';
import { groupBy } from '../group.js';
import { conditionInWords } from '../policy/when.js';
import { type DeclaredControl, justificationWords, justifiesNeed, type SoaStatus } from '../soa.js';
import {
  type ControlStatus,
  type Evaluation,
  type Finding,
  type RuleSummary,
  SEVERITIES,
  type Severity,
  type SystemSummary,
} from '../types.js';
import { eventLabel } from './auditor-words.js';
import { Head, Tail } from './tail.js';
import { openFindings, plural } from './words.js';

/**
 * The Statement of Applicability as the organisation declares it (its own file: applicability, the need,
 * status, owner), beside the tool's evidence per Annex A control — which rules ran on which systems, the
 * documents (path and SHA-256) and log entries (sequence numbers) that evidence it — and every disagreement
 * between the two, flagged. The tool never decides applicability: a control not declared is said to be so.
 * A claim the evidence does not carry is never made: a rule limited by tier says so, a rule that ran nowhere
 * evidences nothing.
 */

/** What the tool's evidence says of a control: a finding's grade, conformant, or why it says nothing. */
export type ApplicabilityStatus = ControlStatus | 'excluded' | 'no evidence';

/** A rule citing the control: where it applies (its `when` in words) and the AI systems it ran on. */
export interface RuleScope {
  id: string;
  /** E.g. "tier is high or prohibited"; absent: every AI system. */
  where?: string;
  appliedTo: string[];
  /** It judges a change (a pull request), so a report of the documents as they are never runs it. */
  judgesChanges?: true;
}

export interface EvidenceDocument {
  path: string;
  sha256: string;
}

export interface EvidenceEntry {
  seq: number;
  type: string;
  system?: string;
}

/** One line of the Statement of Applicability. */
export interface ApplicabilityRow {
  control: string;
  title: string;
  /** The narrowest objective the control serves (A.6 has the sub-objectives A.6.1 and A.6.2). */
  objectiveId: string;
  objective: string;
  /** As the organisation's SoA declares it. */
  applicable: 'yes' | 'no' | 'not declared';
  /** The declared need (risks, treatments, requirements) or reason for exclusion, in words. */
  justification: string;
  /** The declared implementation status, owner and version of the row's declaration. */
  declared?: { status?: SoaStatus; owner?: string; line: number };
  /** How the tool tested it: the rules, and the log. */
  tested: string;
  rules: RuleScope[];
  /** The documents the rules ran on, with their SHA-256 as read: at most MAX_LISTED, then how many more. */
  documents: EvidenceDocument[];
  moreDocuments: number;
  /** The log entries that evidence it, the latest MAX_LISTED (none after a verification break), then how many more. */
  entries: EvidenceEntry[];
  moreEntries: number;
  /** What the config names as evidence (organisational controls); the log's path for A.6.2.8. */
  evidence: string[];
  /** Evidenced by aims-gate itself: a rule ran on a real document, or the log holds entries that evidence it. */
  automatic: boolean;
  /** What would evidence it and is not there; absent when the control is evidenced or excluded. */
  missing?: string;
  status: ApplicabilityStatus;
  /** Where the declaration and the evidence disagree: each one for the auditor to look at. */
  flags: string[];
}

/** What the report knows of the open nonconformities and observations: ids, the controls they cite, grades. */
export interface OpenNonconformity {
  id: string;
  controls: string[];
  grade?: Severity;
}

interface LogInput {
  path: string;
  found: boolean;
  verification?: VerifyResult;
  /** Its RFC 3161 anchors as checked: a failed one fails the log as a failed chain does. */
  anchors?: { ok: boolean };
}

/** The rule kind that judges a change (`change-coupling`): it runs on pull requests, never on a report. */
const CHANGE_KIND = 'change-coupling';

/** Documents and log entries listed per control: enough to sample, short enough to read. */
export const MAX_LISTED = 5;

/** What the log holds of one control's event types, kept as it is read. */
interface ControlEvidence {
  /** The entries that evidence it: the latest MAX_LISTED, and how many. */
  counted: Tail<EvidenceEntry>;
  /** Their types, in the order the log first has them. */
  kinds: Set<string>;
  /** Entries of its types that are not the gate's (for a control only the gate's evidence): the first few. */
  notGate: Head<number>;
  /** Entries of its types without the details their type requires: the first few, and the details missing. */
  incomplete: Head<number>;
  missing: Set<string>;
  /** Entries of its types the chain vouches for, and those after a verification break. */
  proven: number;
  after: number;
}

/**
 * The Statement of Applicability, a log entry at a time: per control, how many entries evidence it, the latest
 * few, and the first few that do not count and why; how many entries the log has and the systems they name.
 * Memory grows with the controls and the systems, never with the entries. Fed only entries the report counts
 * (no forged gate decision), in log order.
 */
export class ApplicabilityFold {
  private readonly unproven: number | undefined;
  private readonly controlsOf = new Map<string, string[]>();
  private readonly evidence = new Map<string, ControlEvidence>();
  private total = 0;
  private readonly logSystems = new Set<string>();

  constructor(
    private readonly evaluation: Evaluation,
    private readonly log: LogInput,
    /** Whether the gate wrote an entry (a gate or app key signed it): none did, without the trusted keys. */
    private readonly gateWritten: (entry: AuditEntry) => boolean = () => false,
  ) {
    this.unproven = log.verification && !log.verification.ok ? log.verification.problem?.seq : undefined;
    for (const control of Object.keys(annexA().controls)) {
      this.evidence.set(control, {
        counted: new Tail(MAX_LISTED),
        kinds: new Set(),
        notGate: new Head(MAX_LISTED),
        incomplete: new Head(MAX_LISTED),
        missing: new Set(),
        proven: 0,
        after: 0,
      });
      for (const type of new Set(evidenceTypes(control, evaluation)))
        this.controlsOf.set(type, [...(this.controlsOf.get(type) ?? []), control]);
    }
  }

  add(entry: AuditEntry): void {
    this.total++;
    if (entry.subject?.system !== undefined) this.logSystems.add(entry.subject.system);
    const controls = this.controlsOf.get(entry.type);
    if (!controls) return;
    const proven = this.unproven === undefined || entry.seq < this.unproven;
    const missing = proven ? missingDetails(entry.type, entry.details) : [];
    for (const control of controls) {
      const evidence = this.evidence.get(control)!;
      if (!proven) {
        evidence.after++;
        continue;
      }
      evidence.proven++;
      if (missing.length) {
        evidence.incomplete.push(entry.seq);
        for (const detail of missing) evidence.missing.add(detail);
      } else if (GATE_WRITTEN_CONTROLS.has(control) && !this.gateWritten(entry))
        evidence.notGate.push(entry.seq);
      else {
        evidence.counted.push({
          seq: entry.seq,
          type: entry.type,
          ...(entry.subject?.system ? { system: entry.subject.system } : {}),
        });
        evidence.kinds.add(entry.type);
      }
    }
  }

  /** All 38 Annex A controls, none dropped: a control nothing addresses is said to be so. */
  rows(openNonconformities: OpenNonconformity[] = []): ApplicabilityRow[] {
    const { evaluation, log } = this;
    const risks = evaluation.systems.flatMap((s) =>
      (s.risks ?? []).map((risk) => ({ ...risk, system: s.id })),
    );
    const context: Context = {
      evaluation,
      log,
      total: this.total,
      logSystems: this.logSystems,
      evidence: this.evidence,
      systems: new Map(evaluation.systems.map((s) => [s.id, s])),
      ...(this.unproven === undefined ? {} : { unproven: this.unproven }),
      risks,
      open: openFindings(evaluation),
      riskIds: new Set(risks.map((r) => r.id).filter((id) => id !== undefined)),
    };
    return Object.keys(annexA().controls).map((control) => {
      const row = controlRow(control, context);
      const citing = openNonconformities.filter((nc) => nc.controls.includes(control));
      const ncs = citing.filter((nc) => nc.grade !== 'observation').map((nc) => nc.id);
      const register = citing.length
        ? `Open in the nonconformity register: ${citing.map((nc) => `${nc.id} (${nc.grade ?? 'major'})`).join(', ')}.`
        : '';
      return {
        ...row,
        tested: [row.tested, register].filter(Boolean).join(' '),
        status: withRegister(row.status, citing),
        flags: disagreements(row, evaluation.statement.controls[control], context, ncs),
      };
    });
  }
}

/** The event types whose entries evidence a control: the tool's mapping, and what the organisation's SoA adds. */
function evidenceTypes(control: string, evaluation: Evaluation): string[] {
  return [...(LOG_EVIDENCE[control] ?? []), ...(evaluation.statement.controls[control]?.events ?? [])];
}

/** The Statement of Applicability of a log already read (a test's few entries): the fold, over them. */
export function applicabilityRows(
  evaluation: Evaluation,
  log: LogInput,
  entries: Iterable<AuditEntry>,
  openNonconformities: OpenNonconformity[] = [],
  gateWritten?: (entry: AuditEntry) => boolean,
): ApplicabilityRow[] {
  const fold = new ApplicabilityFold(evaluation, log, gateWritten);
  for (const entry of entries) fold.add(entry);
  return fold.rows(openNonconformities);
}

/**
 * A control's status with the register's open entries against it: a nonconformity opened by hand (an audit's
 * finding, an incident) is evidence too, so a control with an open minor one is a minor nonconformity however
 * clean its documents, and one with an open observation is no better than an observation.
 */
function withRegister(status: ApplicabilityStatus, citing: OpenNonconformity[]): ApplicabilityStatus {
  const worst = SEVERITIES.find((s) => citing.some((nc) => (nc.grade ?? 'major') === s));
  if (!worst) return status;
  const rank = SEVERITIES.indexOf(status as Severity);
  return rank === -1 || SEVERITIES.indexOf(worst) < rank ? worst : status;
}

interface Context {
  evaluation: Evaluation;
  log: LogInput;
  /** How many entries the report counts, and the systems they name. */
  total: number;
  logSystems: Set<string>;
  evidence: Map<string, ControlEvidence>;
  systems: Map<string, SystemSummary>;
  /** The first entry a verification break leaves unproven. */
  unproven?: number;
  /** Every risk of every risk register, with its system. */
  risks: { id?: string; treatment?: string; controls: string[]; system: string }[];
  riskIds: Set<string>;
  /** The open findings (not waived): what a control declared implemented must not have. */
  open: Finding[];
}

/** Every way the declaration and the evidence disagree about one control, in words. */
function disagreements(
  row: Omit<ApplicabilityRow, 'flags'>,
  declared: DeclaredControl | undefined,
  context: Context,
  openNcs: string[],
): string[] {
  if (!declared) return ['Not declared in the Statement of Applicability: every Annex A control must be.'];
  const flags: string[] = [];
  const openCount = context.open.filter((f) => f.controls.includes(row.control)).length;
  if (declared.applicable) {
    if (!justifiesNeed(declared))
      flags.push('Declared applicable without a justification of need: no risk, treatment or requirement.');
    const unknown = declared.justification.risks.filter((id) => !context.riskIds.has(id));
    if (unknown.length)
      flags.push(`Cites ${plural(unknown.length, 'risk')} no risk register here has: ${unknown.join(', ')}.`);
    if (declared.status === 'implemented' && (openCount > 0 || openNcs.length > 0))
      flags.push(
        `Declared implemented, yet ${[
          openCount ? `${plural(openCount, 'open finding')} ${openCount === 1 ? 'cites' : 'cite'} it` : '',
          openNcs.length ? `${plural(openNcs.length, 'open nonconformity')} (${openNcs.join(', ')})` : '',
        ]
          .filter(Boolean)
          .join(' and ')}.`,
      );
    return flags;
  }
  const treating = context.risks.filter((r) => r.controls.includes(row.control));
  if (treating.length)
    flags.push(
      `Declared not applicable, yet a risk treatment cites it: ${treating
        .map((r) => `${r.id ?? 'a risk'} of ${r.system}${r.treatment ? ` (${r.treatment})` : ''}`)
        .join(', ')}.`,
    );
  if (openCount > 0 || openNcs.length > 0)
    flags.push(
      `Declared not applicable, yet ${[
        openCount ? `${plural(openCount, 'open finding')} ${openCount === 1 ? 'cites' : 'cite'} it` : '',
        openNcs.length ? `open nonconformities cite it (${openNcs.join(', ')})` : '',
      ]
        .filter(Boolean)
        .join(' and ')}.`,
    );
  const ran = row.rules.filter((r) => r.appliedTo.length > 0);
  if (ran.length > 0)
    flags.push(
      `Declared not applicable, yet ${ran.map((r) => r.id).join(', ')} ran on ${plural(new Set(ran.flatMap((r) => r.appliedTo)).size, 'AI system')} here.`,
    );
  if (row.entries.length > 0 && row.control !== EVENT_LOG_CONTROL)
    flags.push(
      `Declared not applicable, yet the audit log records ${plural(row.entries.length + row.moreEntries, 'entry')} that evidence it.`,
    );
  return flags;
}

function controlRow(control: string, context: Context): Omit<ApplicabilityRow, 'flags'> {
  const { evaluation, log } = context;
  const declared = evaluation.statement.controls[control];
  const total = evaluation.systems.length;
  const rules = evaluation.rules.filter((r) => r.controls.includes(control));
  const ran = rules.filter((r) => r.appliedTo.length > 0);
  const documents = ruleDocuments(ran, context.systems);
  const isLog = control === EVENT_LOG_CONTROL;
  const types = evidenceTypes(control, evaluation);
  const logged = context.evidence.get(control)!;
  const refused = refusedSentence(logged);
  const logEvidences = logged.counted.count > 0;
  const automatic = documents.length > 0 || logEvidences;
  const worst = SEVERITIES.find((s) =>
    evaluation.findings.some((f) => !f.waiver && f.severity === s && f.controls.includes(control)),
  );

  const scopes = rules.map((r) => ({
    id: r.id,
    ...(r.when ? { where: conditionInWords(r.when) } : {}),
    appliedTo: r.appliedTo,
    ...(r.kind === CHANGE_KIND ? { judgesChanges: true as const } : {}),
  }));
  const tested = [
    scopes.length ? rulesSentence(scopes, total) : undefined,
    isLog ? logSentence(context, total) : loggedSentence(logged),
    refused,
  ].filter((s): s is string => Boolean(s));
  // A log that fails verification, or its anchors, is a major nonconformity of the record keeping it supports.
  const status: ApplicabilityStatus =
    isLog && log.found && log.verification && !(log.verification.ok && (log.anchors?.ok ?? true))
      ? 'major'
      : ran.length > 0 || logEvidences
        ? (worst ?? cleanStatus(ran, logEvidences))
        : declared && !declared.applicable
          ? 'excluded'
          : rules.length > 0
            ? 'not-evaluated'
            : 'no evidence';
  const missing =
    automatic || (declared && !declared.applicable)
      ? undefined
      : missingSentence(control, { rules, ran, types, context, declared });
  return {
    control,
    title: annexA().controls[control]!,
    ...objectiveOf(control),
    applicable: declared ? (declared.applicable ? 'yes' : 'no') : 'not declared',
    justification: declared ? justificationWords(declared) : '',
    ...(declared
      ? {
          declared: {
            ...(declared.status ? { status: declared.status } : {}),
            ...(declared.owner ? { owner: declared.owner } : {}),
            line: declared.line,
          },
        }
      : {}),
    tested: tested.join(' '),
    rules: scopes,
    documents: documents.slice(0, MAX_LISTED),
    moreDocuments: Math.max(0, documents.length - MAX_LISTED),
    entries: logged.counted.list(),
    moreEntries: logged.counted.earlier,
    evidence: [
      ...(declared?.evidence ?? []),
      ...(isLog && log.found ? [`${log.path} (the governance log: supporting evidence only)`] : []),
    ],
    automatic,
    ...(missing ? { missing } : {}),
    status,
  };
}

function objectiveOf(control: string): { objectiveId: string; objective: string } {
  const { objectives } = annexA();
  const parts = control.split('.');
  // A control sits under the narrowest objective that exists: A.6.1.2 under A.6.1, A.5.2 under A.5.
  const id = [parts.slice(0, 3).join('.'), parts.slice(0, 2).join('.')].find((o) => objectives[o]) ?? '';
  return { objectiveId: id, objective: objectives[id] ?? '' };
}

/**
 * The documents each rule judged on each system it ran on, with their digests as read, by path. A rule about
 * governance facts also read the system's governance.yml, where it has one.
 */
function ruleDocuments(rules: RuleSummary[], systems: Map<string, SystemSummary>): EvidenceDocument[] {
  const found = new Map<string, string>();
  for (const rule of rules) {
    for (const id of rule.appliedTo) {
      const system = systems.get(id);
      if (!system) continue;
      const paths = rule.documents.map((kind) => system.documents[kind]);
      for (const evidence of system.evidence) {
        const facts = rule.kind === 'governance' && /(^|\/)governance\.yml$/.test(evidence.path);
        if (paths.includes(evidence.path) || facts) found.set(evidence.path, evidence.sha256);
      }
    }
  }
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([path, sha256]) => ({ path, sha256 }));
}

/**
 * In a sentence, the entries of a control's types that do not evidence it: an entry without the details its
 * type requires (an incident that says not who was informed, and when), and, for a control only the gate's
 * entries evidence, one no gate or app key signed.
 */
function refusedSentence(evidence: ControlEvidence): string | undefined {
  const seqs = (list: Head<number>) =>
    `${list.items.map((seq) => `#${seq}`).join(', ')}${list.count > list.items.length ? ', …' : ''}`;
  const { notGate, incomplete } = evidence;
  const parts = [
    notGate.count
      ? `${plural(notGate.count, 'entry')} (${seqs(notGate)}) ${notGate.count === 1 ? 'is' : 'are'} not the gate's: unsigned, or signed by a key that is no gate or app key the configuration lists, so ${notGate.count === 1 ? 'it evidences' : 'they evidence'} nothing here.`
      : '',
    incomplete.count
      ? `${plural(incomplete.count, 'entry')} (${seqs(incomplete)}) ${incomplete.count === 1 ? 'lacks' : 'lack'} the details ${incomplete.count === 1 ? 'its' : 'their'} type requires (${[...evidence.missing].join(', ')}), so ${incomplete.count === 1 ? 'it evidences' : 'they evidence'} nothing here.`
      : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

/** "Checked by a, b on 3 of 3 AI systems; by c (where tier is high or prohibited) on 1 of 3: credit-scoring." */
export function rulesSentence(rules: RuleScope[], total: number): string {
  const groups = groupBy(
    rules,
    (r) => `${r.where ?? ''}\n${r.judgesChanges ?? ''}\n${r.appliedTo.join('\n')}`,
  );
  const parts = [...groups.values()].map((group) => {
    const { where, appliedTo, judgesChanges } = group[0]!;
    const ids = group.map((r) => r.id).join(', ');
    const n = appliedTo.length;
    const on =
      n === 0
        ? `${onNone(total)}${judgesChanges ? ' (it judges changes, and no change was judged here)' : ''}`
        : `on ${n} of ${plural(total, 'AI system')}${n < total ? `: ${names(appliedTo)}` : ''}`;
    return `${ids}${where ? ` (where ${where})` : ''} ${on}`;
  });
  return `Checked by ${parts.join('; by ')}.`;
}

function onNone(total: number): string {
  return total === 1 ? 'on no AI system' : `on none of the ${total} AI systems`;
}

function names(ids: string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

function loggedSentence(logged: ControlEvidence): string | undefined {
  const { count } = logged.counted;
  if (count === 0) return undefined;
  const kinds = [...logged.kinds].map(eventLabel);
  return `The audit log records ${plural(count, 'entry')} that ${count === 1 ? 'evidences' : 'evidence'} it (${kinds.join(', ')}).`;
}

/** A.6.2.8: the log itself, as good as its verification, and how many systems it covers. */
function logSentence(context: Context, total: number): string | undefined {
  const { log, unproven } = context;
  if (!log.found) return undefined;
  const logged = context.logSystems;
  const inRepository = [...logged].filter((id) => context.systems.has(id)).length;
  const gone = logged.size - inRepository;
  const broken =
    unproven !== undefined
      ? ` Its verification failed at entry ${unproven}: the entries from there on cannot be relied on.`
      : '';
  return `Supporting evidence, not the systems' own event logs: their lifecycle events are recorded in a hash-chained governance log, ${plural(context.total, 'entry')}, on ${inRepository} of the ${plural(total, 'AI system')} in the repository${gone ? ` and ${gone} no longer in it` : ''}.${broken}`;
}

/** What would evidence a control that nothing here evidences. */
function missingSentence(
  control: string,
  facts: {
    rules: RuleSummary[];
    ran: RuleSummary[];
    types: string[];
    context: Context;
    declared: DeclaredControl | undefined;
  },
): string {
  const { rules, ran, types, context } = facts;
  const parts: string[] = [];
  if (rules.length > 0 && ran.length === 0)
    parts.push(`${rules.map((r) => r.id).join(', ')} ran ${onNone(context.evaluation.systems.length)}.`);
  if (ran.length > 0) parts.push(`${ran.map((r) => r.id).join(', ')} found no document to judge.`);
  if (control === EVENT_LOG_CONTROL) {
    parts.push(
      "No AI system's documents state its own event logging (what it logs in operation, where, for how long): the governance log only supports this control.",
    );
  } else if (types.length > 0) {
    const { after, proven } = context.evidence.get(control)!;
    const some = proven > 0;
    parts.push(
      `No ${types.join(', ')} entry in the audit log${some ? ' that evidences it' : ''}${after ? ` before its verification break (${after} after it cannot be relied on)` : ''}.`,
    );
  }
  if (rules.length === 0 && types.length === 0)
    parts.push(
      facts.declared?.evidence.length
        ? 'No rule of the policy cites it: aims-gate cannot check the evidence the SoA names.'
        : 'No rule of the policy cites it and the SoA names no evidence.',
    );
  return parts.join(' ');
}

/** The SoA in numbers, as both renderers state it above the table. */
export function applicabilitySummary(rows: ApplicabilityRow[]) {
  const count = (test: (r: ApplicabilityRow) => boolean) => rows.filter(test).length;
  return {
    controls: rows.length,
    applicable: count((r) => r.applicable === 'yes'),
    excluded: count((r) => r.applicable === 'no'),
    notDeclared: count((r) => r.applicable === 'not declared'),
    automatic: count((r) => r.automatic && r.applicable === 'yes'),
    unevidenced: count((r) => r.applicable === 'yes' && !r.automatic),
    flagged: count((r) => r.flags.length > 0),
    flags: rows.reduce((n, r) => n + r.flags.length, 0),
  };
}

import type { AuditEntry } from '../audit/entry.js';
import type { VerifyResult } from '../audit/verify.js';
import { annexA, EVENT_LOG_CONTROL, LOG_EVIDENCE } from '../controls.js';
import { groupBy } from '../group.js';
import { conditionInWords } from '../policy/when.js';
import {
  type ControlStatus,
  type Evaluation,
  type RuleSummary,
  SEVERITIES,
  type SystemSummary,
} from '../types.js';
import { eventLabel } from './auditor-words.js';
import { openFindings, plural } from './words.js';

/**
 * The Statement of Applicability: per Annex A control, whether it applies and why, as the evaluation and the
 * audit log show it — which rules ran on which systems, the documents (path and SHA-256) and log entries
 * (sequence numbers) that evidence it — and, where nothing does, what is missing. A claim the evidence does
 * not carry is never made: a rule limited by tier says so, a rule that ran nowhere evidences nothing.
 */

export type ApplicabilityStatus = ControlStatus | 'excluded' | 'flagged' | 'declared' | 'not addressed';

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
  applicable: 'yes' | 'no' | 'not addressed';
  justification: string;
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

/** All 38 Annex A controls, none dropped: a control nothing addresses is said to be so. */
export function applicabilityRows(
  evaluation: Evaluation,
  log: LogInput,
  entries: AuditEntry[],
): ApplicabilityRow[] {
  const { controls } = annexA();
  const unproven = log.verification && !log.verification.ok ? log.verification.problem?.seq : undefined;
  const proven = unproven === undefined ? entries : entries.filter((e) => e.seq < unproven);
  const byType = groupBy(proven, (e) => e.type);
  const open = openFindings(evaluation);
  const systems = new Map(evaluation.systems.map((s) => [s.id, s]));
  const context: Context = { evaluation, log, entries, proven, byType, systems, unproven };
  return Object.keys(controls).map((control) =>
    controlRow(control, context, open.filter((f) => f.controls.includes(control)).length),
  );
}

interface Context {
  evaluation: Evaluation;
  log: LogInput;
  entries: AuditEntry[];
  /** The entries the chain vouches for: all of them, or those before a verification break. */
  proven: AuditEntry[];
  byType: Map<string, AuditEntry[]>;
  systems: Map<string, SystemSummary>;
  unproven?: number;
}

function controlRow(control: string, context: Context, openFindings: number): ApplicabilityRow {
  const { evaluation, log } = context;
  const declared = evaluation.policy.applicability[control];
  const total = evaluation.systems.length;
  const rules = evaluation.rules.filter((r) => r.controls.includes(control));
  const ran = rules.filter((r) => r.appliedTo.length > 0);
  const documents = ruleDocuments(ran, context.systems);
  const isLog = control === EVENT_LOG_CONTROL;
  const types = [...(LOG_EVIDENCE[control] ?? []), ...(declared?.events ?? [])];
  const logged = isLog ? latestEvaluatedPerSystem(context.byType) : entriesOf(types, context.byType);
  const logEvidences = isLog ? log.found && context.proven.length > 0 : logged.length > 0;
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
  const said = [
    declared?.justification,
    scopes.length ? rulesSentence(scopes, total) : undefined,
    isLog ? logSentence(context, total) : loggedSentence(logged),
  ].filter((s): s is string => Boolean(s));
  const row = {
    control,
    title: annexA().controls[control]!,
    ...objectiveOf(control),
    rules: scopes,
    documents: documents.slice(0, MAX_LISTED),
    moreDocuments: Math.max(0, documents.length - MAX_LISTED),
    entries: logged.slice(-MAX_LISTED).map(({ seq, type, subject }) => ({
      seq,
      type,
      ...(subject?.system ? { system: subject.system } : {}),
    })),
    moreEntries: Math.max(0, logged.length - MAX_LISTED),
    evidence: [...(declared?.evidence ?? []), ...(isLog && log.found ? [log.path] : [])],
    automatic,
  };

  if (declared && !declared.applicable) {
    // Excluded, yet something says it applies: the exclusion is what an auditor must look at first.
    const contrary = [
      openFindings > 0
        ? `${plural(openFindings, 'open finding')} ${openFindings === 1 ? 'cites' : 'cite'} it`
        : undefined,
      ran.length > 0
        ? `${ran.map((r) => r.id).join(', ')} ran on ${plural(new Set(ran.flatMap((r) => r.appliedTo)).size, 'AI system')} here`
        : undefined,
      logEvidences && !isLog
        ? `the audit log records ${plural(logged.length, 'entry')} that evidence it`
        : undefined,
    ].filter(Boolean);
    return {
      ...row,
      applicable: 'no',
      justification: contrary.length
        ? `${declared.justification} Yet ${contrary.join('; ')}: review the exclusion.`
        : declared.justification,
      status: contrary.length ? 'flagged' : 'excluded',
    };
  }
  // A log that fails verification, or its anchors, is a major nonconformity of the very control it evidences.
  const status: ApplicabilityStatus =
    isLog && log.found && log.verification && !(log.verification.ok && (log.anchors?.ok ?? true))
      ? 'major'
      : ran.length > 0 || logEvidences
        ? (worst ?? 'conformant')
        : declared
          ? 'declared'
          : rules.length > 0
            ? 'not-evaluated'
            : 'not addressed';
  const missing = automatic ? undefined : missingSentence(control, { rules, ran, types, context, declared });
  return {
    ...row,
    applicable: status === 'not addressed' ? 'not addressed' : 'yes',
    justification: said.join(' '),
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

function entriesOf(types: string[], byType: Map<string, AuditEntry[]>): AuditEntry[] {
  return types.flatMap((t) => byType.get(t) ?? []).sort((a, b) => a.seq - b.seq);
}

/** The latest `evaluated` entry of each system: the record that its documents, by digest, were checked. */
function latestEvaluatedPerSystem(byType: Map<string, AuditEntry[]>): AuditEntry[] {
  const latest = new Map<string, AuditEntry>();
  for (const entry of byType.get('evaluated') ?? []) latest.set(entry.subject?.system ?? '', entry);
  return [...latest.values()].sort((a, b) => a.seq - b.seq);
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

function loggedSentence(logged: AuditEntry[]): string | undefined {
  if (logged.length === 0) return undefined;
  const kinds = [...new Set(logged.map((e) => e.type))].map(eventLabel);
  return `The audit log records ${plural(logged.length, 'entry')} that ${logged.length === 1 ? 'evidences' : 'evidence'} it (${kinds.join(', ')}).`;
}

/** A.6.2.8: the log itself, as good as its verification, and how many systems it covers. */
function logSentence(context: Context, total: number): string | undefined {
  const { log, entries, unproven } = context;
  if (!log.found) return undefined;
  const logged = new Set(entries.map((e) => e.subject?.system).filter((id) => id !== undefined));
  const inRepository = [...logged].filter((id) => context.systems.has(id)).length;
  const gone = logged.size - inRepository;
  const broken =
    unproven !== undefined
      ? ` Its verification failed at entry ${unproven}: the entries from there on cannot be relied on.`
      : '';
  return `Lifecycle events are recorded in a hash-chained audit log: ${plural(entries.length, 'entry')}, on ${inRepository} of the ${plural(total, 'AI system')} in the repository${gone ? ` and ${gone} no longer in it` : ''}.${broken}`;
}

/** What would evidence a control that nothing here evidences. */
function missingSentence(
  control: string,
  facts: {
    rules: RuleSummary[];
    ran: RuleSummary[];
    types: string[];
    context: Context;
    declared: Evaluation['policy']['applicability'][string] | undefined;
  },
): string {
  const { rules, ran, types, context } = facts;
  const parts: string[] = [];
  if (rules.length > 0 && ran.length === 0)
    parts.push(`${rules.map((r) => r.id).join(', ')} ran ${onNone(context.evaluation.systems.length)}.`);
  if (ran.length > 0) parts.push(`${ran.map((r) => r.id).join(', ')} found no document to judge.`);
  if (control === EVENT_LOG_CONTROL) {
    parts.push(
      context.log.found
        ? 'The audit log holds no entry the chain vouches for.'
        : `No audit log at ${context.log.path}.`,
    );
  } else if (types.length > 0) {
    const after = context.entries.filter((e) => types.includes(e.type)).length;
    parts.push(
      `No ${types.join(', ')} entry in the audit log${after ? ` before its verification break (${after} after it cannot be relied on)` : ''}.`,
    );
  }
  if (rules.length === 0 && types.length === 0 && !facts.declared)
    parts.push('No rule of the policy cites it and the config does not declare it.');
  return parts.join(' ');
}

/** The SoA in numbers, as both renderers state it above the table. */
export function applicabilitySummary(rows: ApplicabilityRow[]) {
  const count = (test: (r: ApplicabilityRow) => boolean) => rows.filter(test).length;
  return {
    controls: rows.length,
    automatic: count((r) => r.automatic && r.applicable === 'yes'),
    declared: count((r) => r.status === 'declared'),
    unevidenced: count((r) => r.applicable === 'yes' && !r.automatic && r.status !== 'declared'),
    excluded: count((r) => r.status === 'excluded'),
    flagged: count((r) => r.status === 'flagged'),
    notAddressed: count((r) => r.status === 'not addressed'),
  };
}

import type { AuditEntry } from '../audit/entry.js';
import type { VerifyResult } from '../audit/verify.js';
import { annexA } from '../controls.js';
import { groupBy } from '../group.js';
import type {
  ControlStatus,
  DocumentKind,
  Evaluation,
  Finding,
  SystemSummary,
  WaiverResult,
} from '../types.js';
import { openFindings } from './words.js';

/** One line of the Statement of Applicability. */
export interface ApplicabilityRow {
  control: string;
  title: string;
  objective: string;
  applicable: 'yes' | 'no' | 'not addressed';
  justification: string;
  rules: string[];
  /** Document kinds with how many of them evidence the control, e.g. "3 model cards". */
  documents: string[];
  /** Links or documents the config names as evidence (organisational controls). */
  evidence: string[];
  status: ControlStatus | 'excluded' | 'declared' | 'not addressed';
}

export interface AuditorReport {
  generated: string;
  today: string;
  log: { path: string; found: boolean; verification?: VerifyResult; checkpointGiven: boolean };
  evaluation: Evaluation;
  systems: { summary?: SystemSummary; id: string; events: AuditEntry[] }[];
  approvals: AuditEntry[];
  deployments: AuditEntry[];
  findingsByControl: { control: string; title: string; findings: Finding[] }[];
  waivers: WaiverResult[];
  applicability: ApplicabilityRow[];
  eventTypes: string[];
  totalEvents: number;
}

const EVENT_LOG_CONTROL = 'A.6.2.8';

const DOCUMENT_NOUN: Record<DocumentKind, string> = {
  'model-card': 'model card',
  'risk-assessment': 'risk assessment',
  'impact-assessment': 'impact assessment',
};

/**
 * Everything the auditor's report shows, as data: built once from the log, its verification and the
 * evaluation of the current documents, then rendered as Markdown or HTML without further work.
 */
export function buildAuditorReport(input: {
  evaluation: Evaluation;
  entries: AuditEntry[];
  log: AuditorReport['log'];
  generated: string;
}): AuditorReport {
  const { evaluation, entries } = input;
  const bySystem = groupBy(entries, (entry) => entry.subject?.system ?? '(no system)');
  const known = new Set(evaluation.systems.map((s) => s.id));
  const systems = [
    ...evaluation.systems.map((summary) => ({
      summary,
      id: summary.id,
      events: bySystem.get(summary.id) ?? [],
    })),
    ...[...bySystem].filter(([id]) => !known.has(id)).map(([id, events]) => ({ id, events })),
  ];
  const open = openFindings(evaluation);
  return {
    generated: input.generated,
    today: evaluation.today,
    log: input.log,
    evaluation,
    systems,
    approvals: entries.filter((e) => e.type.startsWith('approval.')),
    deployments: entries.filter((e) => e.type.startsWith('deployment.')),
    findingsByControl: evaluation.controls
      .map((c) => ({
        control: c.control,
        title: c.title,
        findings: open.filter((f) => f.controls.includes(c.control)),
      }))
      .filter((c) => c.findings.length > 0),
    waivers: evaluation.waivers,
    applicability: applicabilityRows(evaluation, input.log),
    eventTypes: [...new Set(entries.map((e) => e.type))].sort(),
    totalEvents: entries.length,
  };
}

/**
 * All 38 Annex A controls. A control is applicable when the config says so or a rule evidences it; the
 * config's justification wins; a control with neither is "not addressed", never dropped.
 */
function applicabilityRows(evaluation: Evaluation, log: AuditorReport['log']): ApplicabilityRow[] {
  const { controls, objectives } = annexA();
  return Object.entries(controls).map(([control, title]) => {
    const declared = evaluation.policy.applicability[control];
    const rules = evaluation.rules.filter((r) => r.controls.includes(control));
    const result = evaluation.controls.find((c) => c.control === control);
    const kinds = [...new Set(rules.flatMap((r) => r.documents))];
    const documents = kinds
      .map((kind) => [kind, evaluation.systems.filter((s) => s.documents[kind]).length] as const)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${DOCUMENT_NOUN[kind]}${n === 1 ? '' : 's'}`);
    // A.6 has sub-objectives (A.6.1, A.6.2): a control sits under the narrowest objective that exists.
    const parts = control.split('.');
    const objective =
      objectives[parts.slice(0, 3).join('.')] ?? objectives[parts.slice(0, 2).join('.')] ?? '';
    const base = {
      control,
      title,
      objective,
      rules: rules.map((r) => r.id),
      documents,
      evidence: declared?.evidence ?? [],
    };
    if (declared && !declared.applicable)
      return { ...base, applicable: 'no', justification: declared.justification, status: 'excluded' };
    if (rules.length > 0) {
      return {
        ...base,
        applicable: 'yes',
        justification:
          declared?.justification ??
          `Evidenced in the repository by ${rules.length} rule${rules.length === 1 ? '' : 's'} applied to every AI system.`,
        status: result?.status ?? 'not-evaluated',
      };
    }
    if (declared)
      return { ...base, applicable: 'yes', justification: declared.justification, status: 'declared' };
    // The audit log is itself the evidence of A.6.2.8 (recording of event logs): as good as its verification.
    if (control === EVENT_LOG_CONTROL && log.found && log.verification) {
      return {
        ...base,
        applicable: 'yes',
        justification: `Lifecycle events of every AI system are recorded in a hash-chained audit log (${log.verification.entries} entries).`,
        evidence: [log.path],
        status: log.verification.ok ? 'conformant' : 'major',
      };
    }
    return { ...base, applicable: 'not addressed', justification: '', status: 'not addressed' };
  });
}

import type { AuditEntry } from '../audit/entry.js';
import type { VerifyResult } from '../audit/verify.js';
import { groupBy } from '../group.js';
import type { Evaluation, Finding, SystemSummary, WaiverResult } from '../types.js';
import { type ApplicabilityRow, applicabilityRows } from './applicability.js';
import { openFindings } from './words.js';

export type { ApplicabilityRow } from './applicability.js';

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
    applicability: applicabilityRows(evaluation, input.log, entries),
    eventTypes: [...new Set(entries.map((e) => e.type))].sort(),
    totalEvents: entries.length,
  };
}

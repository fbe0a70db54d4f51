import type { AuditEntry } from '../audit/entry.js';
import { EVENT_TYPES, formatCheckpoint } from '../audit/entry.js';
import {
  type ApplicabilityRow,
  applicabilitySummary,
  type EvidenceDocument,
  type EvidenceEntry,
} from './applicability.js';
import type { AuditorReport } from './auditor.js';
import { CONTROL_STATUS_WORDS, plural } from './words.js';

/** Words both auditor renderers use, so the Markdown and HTML reports say the same thing. */
export const APPLICABILITY_STATUS: Record<ApplicabilityRow['status'], string> = {
  ...CONTROL_STATUS_WORDS,
  excluded: 'excluded (not applicable)',
  flagged: 'flagged: excluded, yet it applies',
  declared: 'evidenced outside the repository',
  'not addressed': 'not addressed',
};

/** The Statement of Applicability in one sentence, above its table. */
export function applicabilitySentence(rows: ApplicabilityRow[]): string {
  const n = applicabilitySummary(rows);
  return `${n.controls} controls: ${n.automatic} evidenced by the documents checked or the audit log, ${n.declared} by a statement in the config alone, ${n.unevidenced} applicable but not evidenced, ${n.excluded} excluded, ${n.flagged} flagged (excluded, yet findings, rules or log entries say it applies), ${n.notAddressed} not addressed.`;
}

/** A log entry cited as evidence: "#7 evaluated against policy, credit-scoring". */
export function evidenceEntryWords(entry: EvidenceEntry): string {
  return `#${entry.seq} ${eventLabel(entry.type)}${entry.system ? `, ${entry.system}` : ''}`;
}

/** A control's evidence in the order both renderers list it: documents, log entries, what the config names. */
export type EvidenceItem =
  | { document: EvidenceDocument }
  | { entry: EvidenceEntry }
  | { more: string }
  | { named: string };

export function evidenceItems(row: ApplicabilityRow): EvidenceItem[] {
  return [
    ...row.documents.map((document) => ({ document })),
    ...(row.moreDocuments ? [{ more: `and ${plural(row.moreDocuments, 'more document')}` }] : []),
    ...row.entries.map((entry) => ({ entry })),
    ...(row.moreEntries ? [{ more: `and ${plural(row.moreEntries, 'earlier entry')}` }] : []),
    ...row.evidence.map((named) => ({ named })),
  ];
}

export function eventLabel(type: string): string {
  return (EVENT_TYPES as Record<string, string>)[type] ?? type.replace(/^custom\./, 'custom: ');
}

export function eventDetails(entry: AuditEntry): string {
  const parts = Object.entries(entry.details ?? {}).map(
    ([k, v]) =>
      `${k}=${
        typeof v === 'object' && v !== null
          ? Array.isArray(v)
            ? v.join('; ')
            : Object.entries(v)
                .map(([a, b]) => `${a}:${b}`)
                .join(',')
          : String(v)
      }`,
  );
  const subject = entry.subject ?? {};
  if (subject.environment) parts.unshift(`environment=${subject.environment}`);
  if (subject.pullRequest) parts.unshift(`PR #${subject.pullRequest}`);
  return parts.join(' · ');
}

export function verificationSentence(report: AuditorReport): { ok: boolean; text: string } {
  const { log } = report;
  if (!log.found)
    return { ok: false, text: `No audit log at ${log.path}: there are no lifecycle records to verify.` };
  const v = log.verification!;
  if (!v.ok) {
    return {
      ok: false,
      text: `Verification FAILED at entry ${v.problem!.seq} (line ${v.problem!.line}): ${v.problem!.reason}. The ${v.entries} entries before it are intact; nothing after it can be relied on.`,
    };
  }
  const head = v.head ? ` Head ${formatCheckpoint(v.head)}.` : '';
  const checkpoint =
    v.checkpoint === 'matched'
      ? ' It reaches the checkpoint kept outside the log, so nothing was removed from its end or rewritten.'
      : ' No checkpoint was given: verify with --checkpoint SEQ:HASH from a copy kept outside the repository to rule out truncation and rewrites.';
  return {
    ok: true,
    text: `The hash chain of ${log.path} is intact: ${v.entries} entries.${head}${checkpoint}`,
  };
}

/**
 * The first entry the chain no longer vouches for: from the break on, an entry may have been inserted, edited or
 * re-chained. Undefined for a log that verifies.
 */
export function unprovenFrom(report: Pick<AuditorReport, 'log'>): number | undefined {
  const verification = report.log.verification;
  return verification && !verification.ok ? verification.problem?.seq : undefined;
}

export const UNPROVEN_MARK = '⚠ after the break';

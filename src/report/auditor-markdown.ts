import type { AuditEntry } from '../audit/entry.js';
import type { AuditorReport } from './auditor.js';
import {
  APPLICABILITY_STATUS,
  applicabilitySentence,
  type EvidenceItem,
  eventDetails,
  eventLabel,
  evidenceEntryWords,
  evidenceItems,
  UNPROVEN_MARK,
  unprovenFrom,
  verificationSentence,
} from './auditor-words.js';
import { cell } from './escape.js';
import { location, SEVERITY_WORDS } from './words.js';

/** The auditor's report as Markdown: verification, inventory, timelines, approvals, findings, SoA. */
export function renderAuditorMarkdown(report: AuditorReport): string {
  const { evaluation } = report;
  const out: string[] = [];
  const verification = verificationSentence(report);
  out.push('# AI management system audit report', '');
  out.push(
    `Generated ${report.generated} · documents evaluated as of ${report.today} · policy ${cell(evaluation.policy.id)}`,
    '',
  );
  out.push('## 1. Audit log verification', '', `${verification.ok ? '✅' : '❌'} ${verification.text}`, '');

  out.push('## 2. AI system inventory', '');
  out.push(
    '| AI system | Folder | Owner | Tier | Lifecycle | Version | Documents (SHA-256) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of evaluation.systems) {
    const docs = s.evidence.map((e) => `\`${cell(e.path)}\` ${e.sha256.slice(0, 12)}…`).join('<br>');
    out.push(
      `| ${cell(s.id)} | \`${cell(s.path)}\` | ${cell(s.owner ?? '—')} | ${s.tier ?? '—'} | ${s.status ?? '—'} | ${cell(s.version ?? '—')} | ${docs || '—'} |`,
    );
  }
  out.push('');

  out.push(`## 3. Timeline per system (${report.totalEvents} events)`, '');
  for (const system of report.systems) {
    out.push(`### ${cell(system.id)}${system.summary ? '' : ' (no longer in the repository)'}`, '');
    if (system.events.length === 0) out.push('_No recorded events._', '');
    else out.push(...eventTable(system.events, unprovenFrom(report)), '');
  }

  out.push('## 4. Approvals and deployments', '');
  const gates = [...report.approvals, ...report.deployments].sort((a, b) => a.seq - b.seq);
  out.push(
    ...(gates.length
      ? eventTable(gates, unprovenFrom(report))
      : ['_No approvals or deployment decisions recorded._']),
    '',
  );

  out.push('## 5. Open findings by control', '');
  if (report.findingsByControl.length === 0) out.push('_No open findings._');
  for (const c of report.findingsByControl) {
    out.push(`- **${c.control} ${cell(c.title)}**`);
    for (const f of c.findings)
      out.push(
        `  - ${SEVERITY_WORDS[f.severity]} \`${f.rule}\` (${cell(f.system ?? '—')}) at \`${location(f)}\`: ${cell(f.message)}`,
      );
  }
  out.push('');

  out.push('## 6. Waivers', '');
  if (report.waivers.length === 0) out.push('_No waivers._');
  else {
    out.push('| Rule | System | Status | Expires | Approver | Reason |', '|---|---|---|---|---|---|');
    for (const w of report.waivers)
      out.push(
        `| ${w.rule} | ${cell(w.system)} | ${w.status} | ${w.expires} | ${cell(w.approver)} | ${cell(w.reason)} |`,
      );
  }
  out.push('');

  out.push('## 7. Statement of Applicability (ISO/IEC 42001:2023 Annex A)', '');
  out.push(applicabilitySentence(report.applicability), '');
  out.push('| Control | Applicable | Justification | Evidence | Status |', '|---|---|---|---|---|');
  for (const row of report.applicability) {
    const evidence = [
      ...evidenceItems(row).map(evidenceMarkdown),
      ...(row.missing ? [`**Missing:** ${cell(row.missing)}`] : []),
    ];
    out.push(
      `| ${row.control} ${cell(row.title)}<br>_${row.objectiveId} ${cell(row.objective)}_ | ${row.applicable} | ${cell(row.justification) || '—'} | ${evidence.join('<br>') || '—'} | ${APPLICABILITY_STATUS[row.status]} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** A document by path and the start of its digest (the inventory gives it whole), an entry by number. */
function evidenceMarkdown(item: EvidenceItem): string {
  if ('document' in item) return `\`${cell(item.document.path)}\` ${item.document.sha256.slice(0, 12)}…`;
  if ('entry' in item) return `log ${cell(evidenceEntryWords(item.entry))}`;
  return cell('more' in item ? item.more : item.named);
}

/** Events, each entry from a verification break on marked: the chain no longer vouches for them. */
function eventTable(events: AuditEntry[], unproven = Number.POSITIVE_INFINITY): string[] {
  return [
    '| # | Time (UTC) | Event | System | Actor | Details |',
    '|--:|---|---|---|---|---|',
    ...events.map(
      (e) =>
        `| ${e.seq}${e.seq >= unproven ? ` ${UNPROVEN_MARK}` : ''} | ${e.time} | ${cell(eventLabel(e.type))} | ${cell(e.subject?.system ?? '—')} | ${cell(e.actor?.login ?? '—')} | ${cell(eventDetails(e))} |`,
    ),
  ];
}
